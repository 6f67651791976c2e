"""The support chat API: start a conversation, post a message (the assistant's answer comes
back with its citations), list messages, rate an answer and the conversation.

Callers: a customer (token), who sees only their own conversations, or the storefront's API
key with the support:chat scope for anonymous shoppers: starting a conversation returns a
secret, and every later call on it must send that secret in the X-Conversation-Secret
header. A conversation the caller may not see is a plain 404, as if it did not exist.
"""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.views import APIView

from shop import selectors as shop_selectors
from support import selectors, services
from support.api.permissions import CanChat
from support.api.serializers import (
    ConversationRateSerializer,
    ConversationSerializer,
    ConversationStartSerializer,
    MessagePostSerializer,
    MessageRateSerializer,
    MessageSerializer,
    TurnSerializer,
)
from support.models import Conversation, Message

SECRET_HEADER = "X-Conversation-Secret"  # noqa: S105 - a header name, not a secret
AUTH = [{"tokenAuth": []}, {"ApiKeyAuth": []}]
BAD_REQUEST = OpenApiResponse(description="Invalid input; the body lists the errors per field.")
UNAUTHENTICATED = OpenApiResponse(description="No or invalid credentials.")
FORBIDDEN = OpenApiResponse(
    description="Neither a customer nor an API key with the support:chat scope."
)
NOT_FOUND = OpenApiResponse(
    description="No such conversation for this caller (another shopper's, or a wrong secret)."
)
SECRET_PARAMETER = OpenApiParameter(
    SECRET_HEADER,
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=False,
    description="API-key callers: the secret returned when the conversation was started.",
)
CONVERSATION_PARAMETER = OpenApiParameter(
    "id", OpenApiTypes.INT, OpenApiParameter.PATH, description="The conversation."
)


def _conversation(request, pk: int) -> Conversation:
    customer = shop_selectors.customer_for_user(user=request.user)
    if customer is not None:
        conversation = selectors.conversation_for_customer(conversation_id=pk, customer=customer)
    else:
        conversation = selectors.conversation_for_secret(
            conversation_id=pk, secret=request.headers.get(SECRET_HEADER, "")
        )
    if conversation is None:
        raise NotFound("No such conversation.")
    return conversation


class ConversationStartView(APIView):
    permission_classes = [CanChat]

    @extend_schema(
        tags=["support"],
        summary="Start a conversation with the support assistant",
        auth=AUTH,
        request=ConversationStartSerializer,
        responses={
            201: ConversationSerializer,
            400: BAD_REQUEST,
            401: UNAUTHENTICATED,
            403: FORBIDDEN,
        },
    )
    def post(self, request):
        data = ConversationStartSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        customer = shop_selectors.customer_for_user(user=request.user)
        conversation, secret = services.conversation_start(
            customer=customer, session_id=data.validated_data["session_id"]
        )
        body = ConversationSerializer(conversation, context={"secret": secret}).data
        return Response(body, status=status.HTTP_201_CREATED)


class ConversationMessagesView(APIView):
    permission_classes = [CanChat]

    @extend_schema(
        tags=["support"],
        summary="The conversation's messages, oldest first, with the answers' citations",
        auth=AUTH,
        parameters=[CONVERSATION_PARAMETER, SECRET_PARAMETER],
        responses={
            200: MessageSerializer(many=True),
            401: UNAUTHENTICATED,
            403: FORBIDDEN,
            404: NOT_FOUND,
        },
    )
    def get(self, request, pk: int):
        conversation = _conversation(request, pk)
        messages = selectors.message_list(conversation_id=conversation.pk)
        return Response(MessageSerializer(messages, many=True).data)

    @extend_schema(
        tags=["support"],
        summary="Send a shopper message; returns the assistant's answer with citations",
        description="The answer cites the knowledge-base passages, products and (for the "
        "customer's own orders only) orders it was built from. When the assistant does not "
        "know, it says so and offers a person; when the conversation is handed to a person, "
        "`handed_off` is true and the agent's reply later shows in the message list.",
        auth=AUTH,
        parameters=[CONVERSATION_PARAMETER, SECRET_PARAMETER],
        request=MessagePostSerializer,
        responses={
            201: TurnSerializer,
            400: BAD_REQUEST,
            401: UNAUTHENTICATED,
            403: FORBIDDEN,
            404: NOT_FOUND,
        },
    )
    def post(self, request, pk: int):
        conversation = _conversation(request, pk)
        data = MessagePostSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        turn = services.message_post(
            conversation_id=conversation.pk, text=data.validated_data["text"]
        )
        conversation.refresh_from_db(fields=["status"])
        body = {
            "message": turn.shopper_message,
            "reply": turn.reply,
            "status": conversation.status,
            "handed_off": turn.handoff is not None,
        }
        return Response(TurnSerializer(body).data, status=status.HTTP_201_CREATED)


class MessageRatingView(APIView):
    permission_classes = [CanChat]

    @extend_schema(
        tags=["support"],
        summary="Rate an answer of the assistant or an agent as helpful or not",
        auth=AUTH,
        parameters=[
            CONVERSATION_PARAMETER,
            OpenApiParameter("message_id", OpenApiTypes.INT, OpenApiParameter.PATH),
            SECRET_PARAMETER,
        ],
        request=MessageRateSerializer,
        responses={
            200: MessageSerializer,
            400: BAD_REQUEST,
            401: UNAUTHENTICATED,
            403: FORBIDDEN,
            404: NOT_FOUND,
        },
    )
    def post(self, request, pk: int, message_id: int):
        conversation = _conversation(request, pk)
        data = MessageRateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            message = services.message_rate(
                message_id=message_id,
                conversation_id=conversation.pk,
                helpful=data.validated_data["helpful"],
            )
        except Message.DoesNotExist as exc:
            raise NotFound("No such message in this conversation.") from exc
        return Response(MessageSerializer(message).data)


class ConversationRatingView(APIView):
    permission_classes = [CanChat]

    @extend_schema(
        tags=["support"],
        summary="Rate the conversation from 1 to 5",
        auth=AUTH,
        parameters=[CONVERSATION_PARAMETER, SECRET_PARAMETER],
        request=ConversationRateSerializer,
        responses={
            200: ConversationSerializer,
            400: BAD_REQUEST,
            401: UNAUTHENTICATED,
            403: FORBIDDEN,
            404: NOT_FOUND,
        },
    )
    def post(self, request, pk: int):
        conversation = _conversation(request, pk)
        data = ConversationRateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        conversation = services.conversation_rate(
            conversation_id=conversation.pk, rating=data.validated_data["rating"]
        )
        return Response(ConversationSerializer(conversation).data)
