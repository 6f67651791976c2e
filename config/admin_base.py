"""What several apps' admins share."""

from django.contrib import admin


class ReadOnlyAdmin(admin.ModelAdmin):
    """A model that staff read in the admin and nobody adds, changes or deletes there: records
    written by the product itself (model versions, scores, audit entries)."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
