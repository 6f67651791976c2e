"""Read-only admin of the audit log and the privacy requests: nobody adds, edits or deletes an
entry here, not even a superuser."""

from django.contrib import admin

from audit.models import AuditEntry, PrivacyRequest
from config.admin_base import ReadOnlyAdmin


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    list_display = ["at", "action", "actor_label", "source", "target_type", "target_label"]
    list_filter = ["action", "source", "target_type"]
    search_fields = ["=target_id", "actor_label", "target_label"]
    date_hierarchy = "at"
    list_select_related = ["actor"]
    readonly_fields = [
        "at",
        "action",
        "actor",
        "actor_label",
        "source",
        "target_type",
        "target_id",
        "target_label",
        "changes",
        "alias_change",
    ]


@admin.register(PrivacyRequest)
class PrivacyRequestAdmin(ReadOnlyAdmin):
    list_display = ["at", "kind", "customer_id", "via", "requested_by"]
    list_filter = ["kind", "via"]
    search_fields = ["=customer__id"]
    date_hierarchy = "at"
    list_select_related = ["requested_by"]
    readonly_fields = [
        "at",
        "kind",
        "customer",
        "requested_by",
        "via",
        "counts",
        "flagged_versions",
    ]
