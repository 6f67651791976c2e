"""Admin of behaviour clusters: each run's clusters (staff rename them here) and the customers
of the latest run's clusters, filterable by cluster and exportable as a CSV campaign target.

Clusters are written only by the `behaviour_clusters` job (`insights.services.clusters`);
the cluster page (`insights.views_clusters.clusters`) shows them with their facts and starts a
run.
"""

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html

from config.admin_base import ReadOnlyAdmin
from insights.models import BehaviourCluster, BehaviourClusterAssignment
from insights.selectors import clusters as selectors
from insights.services import clusters as services
from shop.exports import attr, export_action


@admin.register(BehaviourCluster)
class BehaviourClusterAdmin(admin.ModelAdmin):
    """Only the name can be changed; the change is a staff rename (name source "staff")."""

    list_display = ["name", "number_column", "size", "name_source", "rule_name", "run"]
    list_select_related = ["run"]
    ordering = ["-run__created_at", "-run_id", "number"]
    list_per_page = 50
    show_full_result_count = False
    fields = ["name", "name_source", "rule_name", "run", "number", "size", "renamed_by"]
    readonly_fields = ["name_source", "rule_name", "run", "number", "size", "renamed_by"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="Cluster", ordering="number")
    def number_column(self, obj: BehaviourCluster) -> str:
        url = reverse("admin:insights_behaviourclusterassignment_changelist")
        return format_html('<a href="{}?cluster__id__exact={}">#{} customers</a>', url, obj.pk,
                           obj.number + 1)  # fmt: skip

    def save_model(self, request, obj, form, change):
        services.behaviour_cluster_rename(
            cluster_id=obj.pk, name=form.cleaned_data["name"], user=request.user
        )


class LatestClusterFilter(admin.SimpleListFilter):
    """The latest run's clusters (assignments exist for that run only)."""

    title = "cluster"
    parameter_name = "cluster__id__exact"

    def lookups(self, request, model_admin):
        run = selectors.cluster_run_latest()
        if run is None:
            return []
        return [(str(c.pk), f"{c.number + 1}. {c.name}") for c in selectors.cluster_list(run=run)]

    def queryset(self, request, queryset):
        if self.value() and self.value().isdigit():
            return queryset.filter(cluster_id=int(self.value()))
        return queryset


@admin.register(BehaviourClusterAssignment)
class BehaviourClusterAssignmentAdmin(ReadOnlyAdmin):
    list_display = ["customer_column", "email_column", "cluster", "distance", "consent_column"]
    list_select_related = ["customer", "cluster"]
    list_filter = [LatestClusterFilter, "customer__marketing_consent"]
    search_fields = ["customer__name", "=customer__email", "=customer__external_id"]
    ordering = ["cluster__number", "distance", "pk"]
    list_per_page = 100
    show_full_result_count = False
    actions = [
        export_action(
            [
                ("customer_id", attr("customer_id")),
                ("external_id", attr("customer__external_id")),
                ("email", attr("customer__email")),
                ("name", attr("customer__name")),
                ("marketing_consent", attr("customer__marketing_consent")),
                ("cluster", attr("cluster__name")),
                ("distance", attr("distance")),
            ],
            select_related=["customer", "cluster"],
        )
    ]

    @admin.display(description="Customer", ordering="customer__name")
    def customer_column(self, obj: BehaviourClusterAssignment) -> str:
        url = reverse("admin:shop_customer_change", args=[obj.customer_id])
        return format_html('<a href="{}">{}</a>', url, obj.customer)

    @admin.display(description="E-mail")
    def email_column(self, obj: BehaviourClusterAssignment) -> str:
        return obj.customer.email or "—"

    @admin.display(description="Accepts marketing", boolean=True)
    def consent_column(self, obj: BehaviourClusterAssignment) -> bool:
        return obj.customer.marketing_consent
