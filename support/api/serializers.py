"""Input and output of the support chat API."""

from rest_framework import serializers

from support.models import Conversation, Message

MAX_MESSAGE_CHARS = 2000
CITATION_KINDS = ("article", "product", "order")


class ConversationStartSerializer(serializers.Serializer):
    session_id = serializers.CharField(
        max_length=64,
        required=False,
        allow_blank=True,
        default="",
        help_text="The storefront's session id, to find the conversation again in the admin.",
    )


class ConversationSerializer(serializers.ModelSerializer):
    secret = serializers.SerializerMethodField(
        help_text="Only in the answer that starts an anonymous conversation (else empty): the "
        "storefront sends it back in the X-Conversation-Secret header with every later call."
    )

    class Meta:
        model = Conversation
        fields = ["id", "status", "rating", "created_at", "secret"]
        read_only_fields = fields

    def get_secret(self, obj: Conversation) -> str:
        return self.context.get("secret", "")


class CitationSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=CITATION_KINDS)
    title = serializers.CharField(required=False, help_text="Article or product title.")
    excerpt = serializers.CharField(required=False, help_text="The passage the answer used.")
    passage_id = serializers.IntegerField(required=False)
    article_id = serializers.IntegerField(required=False)
    product_id = serializers.IntegerField(required=False, allow_null=True)
    order_id = serializers.IntegerField(required=False)
    order_number = serializers.CharField(required=False)
    score = serializers.FloatField(required=False, help_text="Cosine similarity to the question.")


class MessageSerializer(serializers.ModelSerializer):
    intent = serializers.SerializerMethodField(help_text="Predicted intent of a shopper message.")
    citations = CitationSerializer(many=True, read_only=True)

    class Meta:
        model = Message
        fields = [
            "id",
            "role",
            "text",
            "created_at",
            "intent",
            "confidence",
            "citations",
            "answer_source",
            "helpful",
        ]
        read_only_fields = fields

    def get_intent(self, obj: Message) -> str | None:
        return obj.predicted_intent.key if obj.predicted_intent_id else None


class MessagePostSerializer(serializers.Serializer):
    text = serializers.CharField(max_length=MAX_MESSAGE_CHARS, trim_whitespace=True)


class TurnSerializer(serializers.Serializer):
    message = MessageSerializer(help_text="The shopper's message as stored.")
    reply = MessageSerializer(
        allow_null=True,
        help_text="The assistant's answer with its citations; null while an agent has the "
        "conversation (the agent's reply shows in the message list).",
    )
    status = serializers.ChoiceField(choices=Conversation.Status.choices)
    handed_off = serializers.BooleanField(help_text="True when this message went to a person.")


class MessageRateSerializer(serializers.Serializer):
    helpful = serializers.BooleanField(help_text="Was the answer helpful?")

    def to_internal_value(self, data):
        # BooleanField reads a missing key of a form post as False; a rating must be given.
        if isinstance(data, dict) and "helpful" not in data:
            raise serializers.ValidationError({"helpful": ["This field is required."]})
        return super().to_internal_value(data)


class ConversationRateSerializer(serializers.Serializer):
    rating = serializers.IntegerField(min_value=1, max_value=5)
