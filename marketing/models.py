from decimal import Decimal

from django.db import models
from django.db.models import F, Q


class Campaign(models.Model):
    """A marketing campaign over a period, optionally aimed at one category."""

    class Channel(models.TextChoices):
        EMAIL = "email", "Email"
        SEARCH = "search", "Search ads"
        SOCIAL = "social", "Social ads"
        DISPLAY = "display", "Display ads"

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=200, unique=True)
    channel = models.CharField(max_length=16, choices=Channel.choices)
    starts_on = models.DateField()
    ends_on = models.DateField()
    budget = models.DecimalField(max_digits=12, decimal_places=2, default=Decimal("0"))
    discount_percent = models.PositiveSmallIntegerField(default=0)
    target_category = models.ForeignKey(
        "shop.Category", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    description = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-starts_on"]
        constraints = [
            models.CheckConstraint(condition=Q(ends_on__gte=F("starts_on")), name="campaign_dates"),
            models.CheckConstraint(condition=Q(discount_percent__lte=90), name="campaign_discount"),
        ]
        indexes = [models.Index(fields=["starts_on", "ends_on"], name="campaign_period")]

    def __str__(self) -> str:
        return self.name
