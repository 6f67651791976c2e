from django.conf import settings
from django.db import models
from django.db.models import Q


class Sentiment(models.TextChoices):
    NEGATIVE = "negative", "Negative"
    NEUTRAL = "neutral", "Neutral"
    POSITIVE = "positive", "Positive"


class ReviewSentiment(models.Model):
    """The current sentiment score of one review, and the model version that produced it."""

    review = models.OneToOneField("shop.Review", on_delete=models.CASCADE, related_name="sentiment")
    label = models.CharField(max_length=16, choices=Sentiment.choices)
    probabilities = models.JSONField(default=dict)
    model_version = models.ForeignKey("ml.ModelVersion", on_delete=models.PROTECT, related_name="+")
    scored_at = models.DateTimeField()

    class Meta:
        indexes = [
            models.Index(fields=["label"], name="reviewsentiment_label"),
            models.Index(fields=["model_version"], name="reviewsentiment_version"),
        ]

    def __str__(self) -> str:
        return f"{self.label} (review {self.review_id})"


class ReviewLabelCorrection(models.Model):
    """A sentiment label set by staff; it wins over the rating-derived label in training."""

    review = models.OneToOneField(
        "shop.Review", on_delete=models.CASCADE, related_name="label_correction"
    )
    label = models.CharField(max_length=16, choices=Sentiment.choices)
    corrected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    corrected_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"review {self.review_id} -> {self.label}"


class Aspect(models.Model):
    """Something reviews talk about (fit, quality, delivery...), editable by staff."""

    name = models.CharField(max_length=60, unique=True)
    description = models.TextField(help_text="What a sentence about this aspect says.")
    examples = models.TextField(
        blank=True, help_text="Example sentences, one per line; they sharpen matching."
    )
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def example_list(self) -> list[str]:
        return [line.strip() for line in self.examples.splitlines() if line.strip()]


class AspectMention(models.Model):
    """One sentence of a review that expresses an opinion on an aspect: the evidence."""

    review = models.ForeignKey("shop.Review", on_delete=models.CASCADE, related_name="aspects")
    aspect = models.ForeignKey(Aspect, on_delete=models.CASCADE, related_name="mentions")
    sentence = models.TextField()
    sentence_index = models.PositiveSmallIntegerField()
    label = models.CharField(max_length=16, choices=Sentiment.choices)
    similarity = models.FloatField(help_text="Cosine similarity of the sentence to the aspect.")
    model_version = models.ForeignKey(
        "ml.ModelVersion", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["review", "aspect", "sentence_index"], name="aspectmention_unique"
            ),
        ]
        indexes = [
            models.Index(fields=["aspect", "label"], name="aspectmention_aspect_label"),
        ]

    def __str__(self) -> str:
        return f"{self.aspect_id}: {self.label}"


class SentimentAlert(models.Model):
    """Negative opinions on a product (or one of its aspects) rose above their own history."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        ACKNOWLEDGED = "acknowledged", "Acknowledged"
        DISMISSED = "dismissed", "Dismissed"

    product = models.ForeignKey("shop.Product", on_delete=models.CASCADE, related_name="+")
    aspect = models.ForeignKey(
        Aspect, null=True, blank=True, on_delete=models.CASCADE, related_name="alerts"
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.OPEN)
    window_start = models.DateField()
    window_end = models.DateField()
    recent_negative = models.PositiveIntegerField()
    recent_total = models.PositiveIntegerField()
    baseline_negative = models.PositiveIntegerField()
    baseline_total = models.PositiveIntegerField()
    statistic = models.FloatField(help_text="Test statistic (see `test`).")
    p_value = models.FloatField()
    test = models.CharField(max_length=120)
    evidence = models.JSONField(default=list, help_text="[{review_id, sentence}] examples.")
    created_at = models.DateTimeField(auto_now_add=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["product", "aspect"],
                condition=Q(status="open", aspect__isnull=False),
                name="sentimentalert_one_open_per_aspect",
            ),
            models.UniqueConstraint(
                fields=["product"],
                condition=Q(status="open", aspect__isnull=True),
                name="sentimentalert_one_open_per_product",
            ),
        ]
        indexes = [models.Index(fields=["status", "-created_at"], name="sentimentalert_status")]

    def __str__(self) -> str:
        return f"alert on product {self.product_id} ({self.status})"

    @property
    def recent_share(self) -> float:
        return self.recent_negative / self.recent_total if self.recent_total else 0.0

    @property
    def baseline_share(self) -> float:
        return self.baseline_negative / self.baseline_total if self.baseline_total else 0.0


class ProductReviewSummary(models.Model):
    """Pros and cons of a product, written by the generator from aspect evidence only."""

    product = models.OneToOneField(
        "shop.Product", on_delete=models.CASCADE, related_name="review_summary"
    )
    pros = models.JSONField(default=list, help_text="[{aspect, text, count, review_ids}]")
    cons = models.JSONField(default=list, help_text="[{aspect, text, count, review_ids}]")
    text = models.TextField(blank=True)
    reviews_covered = models.PositiveIntegerField(default=0)
    generator = models.CharField(max_length=255, blank=True)
    generated_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"summary of product {self.product_id}"
