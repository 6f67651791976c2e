from django.contrib import admin

from marketing.models import Campaign


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    list_display = ["name", "channel", "starts_on", "ends_on", "budget", "discount_percent"]
    list_filter = ["channel", "starts_on"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    autocomplete_fields = ["target_category"]
