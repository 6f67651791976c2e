"""The chat widget: a small page, served by the project, for trying the assistant as a
shopper. A customer logs in with their account (a session; every form is CSRF-protected),
chats, sees each answer's sources, the handoff notice and agents' replies (the message list
polls every few seconds with htmx), and rates answers and the conversation.

Only the customer's own conversations are reachable: any other id is a 404.
"""

from django.contrib.auth.views import LoginView
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from shop import selectors as shop_selectors
from support import selectors, services
from support.api.serializers import MAX_MESSAGE_CHARS
from support.models import Conversation, Message

SESSION_KEY = "support_conversation_id"
POLL_SECONDS = 3
MAX_ID = 2**63 - 1


class WidgetLoginView(LoginView):
    template_name = "support/widget_login.html"

    def get_default_redirect_url(self) -> str:
        return reverse("support:chat")


def _customer_or_none(request: HttpRequest):
    return shop_selectors.customer_for_user(user=request.user)


def _own(request: HttpRequest, pk: int) -> Conversation:
    if pk > MAX_ID:
        raise Http404("No such conversation.")
    conversation = selectors.conversation_for_customer(
        conversation_id=pk, customer=_customer_or_none(request)
    )
    if conversation is None:
        raise Http404("No such conversation.")
    return conversation


def _messages_context(conversation: Conversation, error: str = "") -> dict:
    conversation.refresh_from_db(fields=["status", "rating"])
    return {
        "conversation": conversation,
        "chat_messages": list(selectors.message_list(conversation_id=conversation.pk)),
        "handed_off": conversation.status == Conversation.Status.HANDED_OFF,
        "poll_seconds": POLL_SECONDS,
        "error": error,
    }


def _messages(request, conversation: Conversation, error: str = "", status: int = 200):
    context = _messages_context(conversation, error)
    return TemplateResponse(request, "support/widget_messages.html", context, status=status)


@require_GET
def chat(request: HttpRequest) -> HttpResponse:
    customer = _customer_or_none(request)
    if customer is None:
        return redirect(f"{reverse('support:login')}?next={reverse('support:chat')}")
    conversation = None
    stored = request.session.get(SESSION_KEY)
    if isinstance(stored, int):
        conversation = selectors.conversation_for_customer(
            conversation_id=stored, customer=customer
        )
    if conversation is None:
        conversation, _ = services.conversation_start(
            customer=customer, session_id=request.session.session_key or ""
        )
        request.session[SESSION_KEY] = conversation.pk
    context = {**_messages_context(conversation), "max_chars": MAX_MESSAGE_CHARS}
    return TemplateResponse(request, "support/widget.html", context)


@require_POST
def chat_new(request: HttpRequest) -> HttpResponse:
    customer = _customer_or_none(request)
    if customer is None:
        raise Http404("Sign in to chat.")
    conversation, _ = services.conversation_start(customer=customer)
    request.session[SESSION_KEY] = conversation.pk
    return redirect("support:chat")


@require_GET
def chat_messages(request: HttpRequest, pk: int) -> HttpResponse:
    conversation = _own(request, pk)
    return _messages(request, conversation)


@require_POST
def chat_send(request: HttpRequest, pk: int) -> HttpResponse:
    conversation = _own(request, pk)
    text = request.POST.get("text", "").strip()
    if not text or len(text) > MAX_MESSAGE_CHARS:
        error = f"Write a message of 1 to {MAX_MESSAGE_CHARS} characters."
        return _messages(request, conversation, error, status=400)
    services.message_post(conversation_id=conversation.pk, text=text)
    return _messages(request, conversation)


@require_POST
def chat_rate_message(request: HttpRequest, pk: int, message_id: int) -> HttpResponse:
    conversation = _own(request, pk)
    helpful = request.POST.get("helpful")
    if helpful not in ("yes", "no"):
        return _messages(request, conversation, "Choose helpful or not helpful.", status=400)
    try:
        services.message_rate(
            message_id=message_id, conversation_id=conversation.pk, helpful=helpful == "yes"
        )
    except (Message.DoesNotExist, OverflowError) as exc:
        raise Http404("No such message.") from exc
    return _messages(request, conversation)


@require_POST
def chat_rate(request: HttpRequest, pk: int) -> HttpResponse:
    conversation = _own(request, pk)
    raw = request.POST.get("rating", "")
    if raw not in {"1", "2", "3", "4", "5"}:
        return _messages(request, conversation, "A rating is 1 to 5 stars.", status=400)
    services.conversation_rate(conversation_id=conversation.pk, rating=int(raw))
    return _messages(request, conversation)
