from django.conf import settings
from django.db import models


class AuditEntry(models.Model):
    """One staff action: who, when, what, and the values before and after. Never edited."""

    class Action(models.TextChoices):
        PROMOTE = "promote", "Promote a model version"
        ROLLBACK = "rollback", "Roll back a model alias"
        JOB_START = "job_start", "Start a job"
        JOB_CANCEL = "job_cancel", "Cancel a job"
        PRODUCT_CHANGE = "product_change", "Change a product's price or stock"

    class Source(models.TextChoices):
        ADMIN = "admin", "Admin"
        API = "api", "API"
        JOB = "job", "Job"
        OTHER = "other", "Command or shell"

    action = models.CharField(max_length=32, choices=Action.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_label = models.CharField(
        max_length=150, blank=True, help_text="The actor's username when the action happened."
    )
    source = models.CharField(max_length=16, choices=Source.choices, default=Source.OTHER)
    target_type = models.CharField(max_length=100, help_text="app_label.model of the target.")
    target_id = models.CharField(max_length=64)
    target_label = models.CharField(max_length=255, blank=True)
    changes = models.JSONField(default=dict, blank=True, help_text="{field: [before, after]}")
    alias_change = models.ForeignKey(
        "ml.AliasChange",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The registry's own record of an alias move.",
    )
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "audit entries"
        ordering = ["-at", "-pk"]
        indexes = [
            models.Index(fields=["-at"], name="auditentry_time"),
            models.Index(fields=["action", "-at"], name="auditentry_action_time"),
            models.Index(fields=["target_type", "target_id", "-at"], name="auditentry_target"),
        ]

    def __str__(self) -> str:
        return f"{self.get_action_display()}: {self.target_label or self.target_id}"


class PrivacyRequest(models.Model):
    """A customer's data exported or erased: when, by whom, through what, and counts of the rows
    touched. Holds no personal data (the customer is a link to the anonymous placeholder)."""

    class Kind(models.TextChoices):
        EXPORT = "export", "Export"
        ERASURE = "erasure", "Erasure"

    class Via(models.TextChoices):
        ADMIN = "admin", "Admin"
        API = "api", "API (staff)"
        SELF = "self", "The customer (API)"

    kind = models.CharField(max_length=16, choices=Kind.choices)
    customer = models.ForeignKey(
        "shop.Customer",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="privacy_requests",
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    via = models.CharField(max_length=16, choices=Via.choices)
    counts = models.JSONField(default=dict, blank=True, help_text="{what: rows}")
    flagged_versions = models.JSONField(
        default=list, blank=True, help_text="Model versions flagged for retraining (erasure)."
    )
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-at", "-pk"]
        permissions = [
            ("export_customer_data", "Can export a customer's personal data"),
            ("erase_customer", "Can erase a customer's personal data"),
        ]
        indexes = [
            models.Index(fields=["-at"], name="privacyrequest_time"),
            models.Index(fields=["customer", "-at"], name="privacyrequest_customer"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} of customer {self.customer_id}"
