"""What serving reads and what the storefront reports back.

Fitted recommenders are `ml.ModelVersion`s of the task "recommendations" (one bundle per
training run, see recommendations/bundle.py); these tables hold what is derived from the
champion bundle (precomputed personal lists) and the online feedback on the lists.
"""

from django.db import models
from django.db.models import Q


class ListType(models.TextChoices):
    FOR_YOU = "for_you", "For you"
    SIMILAR = "similar", "Similar items"
    BOUGHT_TOGETHER = "bought_together", "Bought together"
    TRENDING = "trending", "Trending"


class PersonalList(models.Model):
    """A customer's precomputed "for you" list, made by one champion bundle."""

    customer = models.OneToOneField(
        "shop.Customer", on_delete=models.CASCADE, related_name="personal_list"
    )
    model_version = models.ForeignKey(
        "ml.ModelVersion", on_delete=models.CASCADE, related_name="personal_lists"
    )
    # [{"product": id, "score": float, "reason": code, "anchor": product id or null}, ...]
    items = models.JSONField(default=list)
    computed_at = models.DateTimeField()
    history_fingerprint = models.BigIntegerField(
        null=True,
        blank=True,
        editable=False,
        help_text="Fingerprint of the history the list was made from: a refresh of changed "
        "lists only recomputes the customers whose history no longer matches it.",
    )

    class Meta:
        indexes = [models.Index(fields=["model_version"], name="personallist_version")]

    def __str__(self) -> str:
        return f"For you: customer {self.customer_id} ({len(self.items)} items)"


class ListEvent(models.Model):
    """An impression or click of one item of one recommendation list, reported by the storefront."""

    class Kind(models.TextChoices):
        IMPRESSION = "impression", "Impression"
        CLICK = "click", "Click"

    kind = models.CharField(max_length=16, choices=Kind.choices)
    list_type = models.CharField(max_length=32, choices=ListType.choices)
    position = models.PositiveSmallIntegerField()
    product = models.ForeignKey("shop.Product", on_delete=models.CASCADE, related_name="+")
    customer = models.ForeignKey(
        "shop.Customer", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    session_id = models.CharField(max_length=64, blank=True)
    model_version = models.ForeignKey(
        "ml.ModelVersion", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    occurred_at = models.DateTimeField()

    class Meta:
        ordering = ["-occurred_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(customer__isnull=False) | ~Q(session_id=""),
                name="listevent_has_customer_or_session",
            ),
        ]
        indexes = [
            models.Index(fields=["list_type", "model_version", "kind"], name="listevent_report"),
            models.Index(fields=["customer", "kind", "occurred_at"], name="listevent_customer"),
            models.Index(fields=["-occurred_at"], name="listevent_time"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.list_type}#{self.position} product {self.product_id}"
