"""Support data: the intents the assistant recognises, labelled examples that train it, and
conversations with their messages (each shopper message keeps the intent the model predicted,
its confidence and version, and the intent staff corrected it to)."""

from django.conf import settings
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
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.OPEN)
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
        return f"{self.get_role_display()}: {self.text[:60]}"
