"""Support data: the intents the assistant recognises, labelled examples that train it, and
conversations with their messages (each shopper message keeps the intent the model predicted,
its confidence and version, and the intent staff corrected it to)."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q


class Intent(models.Model):
    key = models.SlugField(max_length=64, unique=True, help_text="The label the model predicts.")
    name = models.CharField(max_length=120)
    description = models.TextField(blank=True)
    is_out_of_scope = models.BooleanField(
        default=False,
        help_text="Catch-all for messages the assistant does not handle (greetings, other).",
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class IntentExample(models.Model):
    class Source(models.TextChoices):
        SEED = "seed", "Seed set"
        STAFF = "staff", "Added by staff"
        CORRECTION = "correction", "Corrected message"

    text = models.TextField()
    intent = models.ForeignKey(Intent, on_delete=models.CASCADE, related_name="examples")
    source = models.CharField(max_length=16, choices=Source.choices, default=Source.STAFF)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["intent__name", "text"]
        constraints = [
            models.UniqueConstraint(fields=["text", "intent"], name="intentexample_text_intent"),
        ]
        indexes = [
            models.Index(fields=["intent", "source"], name="intentexample_intent_source"),
            models.Index(fields=["source", "-created_at"], name="intentexample_source_created"),
        ]

    def __str__(self) -> str:
        return f"{self.intent.key}: {self.text[:60]}"


class Conversation(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", "Open"
        HANDED_OFF = "handed_off", "Handed off to an agent"
        CLOSED = "closed", "Closed"

    customer = models.ForeignKey(
        "shop.Customer",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="support_conversations",
        help_text="Empty for an anonymous shopper.",
    )
    session_id = models.CharField(max_length=64, blank=True, db_index=True)
    secret_hash = models.CharField(
        max_length=64,
        blank=True,
        editable=False,
        help_text="SHA-256 of the secret an anonymous shopper's storefront sends back.",
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.OPEN)
    rating = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(5)],
        help_text="The shopper's rating of the conversation, 1-5.",
    )
    assigned_agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="support_conversations",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-updated_at"]
        indexes = [
            models.Index(fields=["status", "-updated_at"], name="conversation_status_updated"),
            models.Index(fields=["assigned_agent", "status"], name="conversation_agent_status"),
            models.Index(fields=["customer", "-updated_at"], name="conversation_customer"),
            models.Index(fields=["created_at"], name="conversation_created"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(rating__isnull=True) | Q(rating__gte=1, rating__lte=5),
                name="conversation_rating_1_5",
            ),
        ]

    def __str__(self) -> str:
        return f"Conversation #{self.pk}"


class Message(models.Model):
    class Role(models.TextChoices):
        SHOPPER = "shopper", "Shopper"
        ASSISTANT = "assistant", "Assistant"
        AGENT = "agent", "Agent"

    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="messages"
    )
    role = models.CharField(max_length=16, choices=Role.choices)
    text = models.TextField()
    predicted_intent = models.ForeignKey(
        Intent, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    confidence = models.FloatField(null=True, blank=True)
    model_version = models.ForeignKey(
        "ml.ModelVersion", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    corrected_intent = models.ForeignKey(
        Intent,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="corrected_messages",
        help_text="Set by staff; the next fine-tune trains on it instead of the prediction.",
    )
    citations = models.JSONField(
        default=list,
        blank=True,
        help_text="What an assistant answer was built from: article passages, orders, products.",
    )
    answer_source = models.CharField(
        max_length=16,
        blank=True,
        help_text="How an assistant answer was made: generated, extractive, tools, unknown.",
    )
    helpful = models.BooleanField(
        null=True, blank=True, help_text="The shopper's rating of an assistant answer."
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The agent who wrote an agent message.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(confidence__isnull=True) | Q(confidence__gte=0, confidence__lte=1),
                name="message_confidence_0_1",
            ),
        ]
        indexes = [
            models.Index(
                fields=["conversation", "created_at"], name="message_conversation_created"
            ),
            models.Index(fields=["predicted_intent", "-created_at"], name="message_intent_created"),
            models.Index(
                fields=["corrected_intent"],
                name="message_corrected",
                condition=Q(corrected_intent__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        # No text: a shopper's words may hold personal data, and __str__ shows in admin pages
        # and logs for everyone.
        return f"{self.get_role_display()} message #{self.pk}"


class Article(models.Model):
    """A knowledge-base article staff write; published ones are split into passages and
    indexed (support.services.knowledge_index_rebuild)."""

    class Topic(models.TextChoices):
        SHIPPING = "shipping", "Shipping and delivery"
        RETURNS = "returns", "Returns, refunds and exchanges"
        PAYMENT = "payment", "Payment"
        SIZING = "sizing", "Sizing"
        CARE = "care", "Care instructions"
        OTHER = "other", "Other"

    title = models.CharField(max_length=200, unique=True)
    topic = models.CharField(max_length=16, choices=Topic.choices, default=Topic.OTHER)
    body = models.TextField(help_text="Paragraphs separated by a blank line.")
    is_published = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["topic", "title"]
        indexes = [models.Index(fields=["is_published", "topic"], name="article_published_topic")]

    def __str__(self) -> str:
        return self.title


class Passage(models.Model):
    """One retrievable unit of the knowledge base: a few sentences of an article, or the facts
    of one product, with its encoder embedding (float32 bytes, L2-normalised)."""

    class Kind(models.TextChoices):
        ARTICLE = "article", "Article passage"
        PRODUCT = "product", "Product facts"

    kind = models.CharField(max_length=16, choices=Kind.choices)
    article = models.ForeignKey(
        Article, null=True, blank=True, on_delete=models.CASCADE, related_name="passages"
    )
    product = models.ForeignKey(
        "shop.Product", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    position = models.PositiveIntegerField(default=0)
    text = models.TextField()
    embedding = models.BinaryField()
    encoder = models.CharField(max_length=255, help_text="The encoder that embedded the text.")
    indexed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["kind", "article", "product", "position"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(kind="article", article__isnull=False, product__isnull=True)
                    | Q(kind="product", product__isnull=False, article__isnull=True)
                ),
                name="passage_points_at_its_source",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.text[:60]}"


class Handoff(models.Model):
    """A conversation handed to the support agents, with what they need to pick it up."""

    class Reason(models.TextChoices):
        ASKED_FOR_HUMAN = "asked_for_human", "Shopper asked for a person"
        NEGATIVE_COMPLAINT = "negative_complaint", "Complaint with negative sentiment"
        LOW_CONFIDENCE = "low_confidence", "Assistant unsure twice in a row"
        REPEATED_QUESTION = "repeated_question", "Shopper repeated the question"

    class Status(models.TextChoices):
        OPEN = "open", "Waiting for an agent"
        TAKEN = "taken", "Taken by an agent"
        RESOLVED = "resolved", "Resolved"

    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="handoffs"
    )
    reason = models.CharField(max_length=32, choices=Reason.choices)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.OPEN)
    intent = models.ForeignKey(
        Intent, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    sentiment = models.CharField(max_length=16, blank=True)
    orders = models.JSONField(default=list, blank=True, help_text="Order numbers involved.")
    suggested_reply = models.TextField(blank=True)
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="support_handoffs",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    taken_at = models.DateTimeField(null=True, blank=True)
    first_response_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["conversation"],
                condition=~Q(status="resolved"),
                name="handoff_one_unresolved_per_conversation",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "created_at"], name="handoff_status_created"),
            models.Index(fields=["reason", "created_at"], name="handoff_reason_created"),
        ]

    def __str__(self) -> str:
        return f"Handoff #{self.pk} ({self.get_reason_display()})"
