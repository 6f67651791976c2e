"""Writes of customer privacy requests: recording an export, and erasing a customer.

Erasure (see docs/privacy.md for each decision):

- the customer row stays as an anonymous placeholder (`erased_at` set; e-mail, name, country,
  external id and consents cleared) so that orders keep their customer for accounting; the
  login account is deleted (or, for a staff account, only unlinked);
- orders and their items are kept unchanged (an order's country is kept: tax records need it);
- behaviour events of the customer, and anonymous events of the same storefront sessions,
  are deleted; recommendation-list and ad events (the reports' and experiments' counts) stay on
  the placeholder without their session ids; the precomputed list and the scores are deleted;
- reviews keep their rating (the products' averages) and lose their title and text, with what
  was derived from the text (aspect sentences, sentiment scores, staff labels, alert evidence);
- support conversations (the customer's and those of the same sessions) are deleted with their
  messages, and intent examples copied from their corrected messages too;
- model versions of every task whose training data could hold the customer's rows, created
  since the customer's first such row, are flagged for retraining.
"""

from __future__ import annotations

import secrets
from datetime import datetime

from django.apps import apps
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Min, Q
from django.utils import timezone

from audit.models import PrivacyRequest
from ml.models import ModelVersion
from shop.models import Customer, Event, Order, Review
from shop.privacy.exceptions import CustomerAlreadyErased, CustomerNotFound

# The training tasks whose data can hold a customer's rows (see `_first_training_rows`).
SENTIMENT_TASK = "sentiment"
INTENT_TASK = "intent"
RECOMMENDATIONS_TASK = "recommendations"
SOLD_STATUSES = (Order.Status.PAID, Order.Status.SHIPPED, Order.Status.DELIVERED)


def _model(label: str):
    """A model of another app, or None when that app is not installed."""
    try:
        return apps.get_model(label)
    except LookupError:
        return None


def privacy_export_record(*, customer_id: int, user=None, via: str) -> PrivacyRequest:
    """Insert the record of an export (who exported whose data, when)."""
    return PrivacyRequest.objects.create(
        kind=PrivacyRequest.Kind.EXPORT,
        customer_id=customer_id,
        requested_by=user if getattr(user, "pk", None) else None,
        via=via,
    )


def _first_training_rows(customer: Customer, conversation_ids: list[int]) -> dict[str, datetime]:
    """Per task, when the customer's first row that its training data can read appeared."""
    first: dict[str, datetime] = {}
    reviews = Review.objects.filter(customer=customer).filter(~Q(text="") | ~Q(title=""))
    if at := reviews.aggregate(at=Min("created_at"))["at"]:
        first[SENTIMENT_TASK] = at
    Message = _model("support.Message")
    if Message is not None and conversation_ids:
        corrected = Message.objects.filter(
            conversation_id__in=conversation_ids, corrected_intent__isnull=False
        )
        if at := corrected.aggregate(at=Min("created_at"))["at"]:
            first[INTENT_TASK] = at
    behaviour = [
        Event.objects.filter(customer=customer, product__isnull=False).aggregate(
            at=Min("occurred_at")
        )["at"],
        Order.objects.filter(customer=customer, status__in=SOLD_STATUSES).aggregate(
            at=Min("placed_at")
        )["at"],
    ]
    if moments := [at for at in behaviour if at is not None]:
        first[RECOMMENDATIONS_TASK] = min(moments)
    return first


def _versions_flag(first_rows: dict[str, datetime], *, reason: str) -> list[str]:
    """Flag every version of each task created since its first row; returns "task vN" of all
    the versions concerned (already flagged ones keep their first flag)."""
    now = timezone.now()
    concerned: list[str] = []
    for task, since in sorted(first_rows.items()):
        versions = ModelVersion.objects.filter(task=task, created_at__gte=since)
        versions.filter(retrain_flagged_at__isnull=True).update(
            retrain_flagged_at=now, retrain_reason=reason
        )
        concerned += [f"{task} v{number}" for number in versions.values_list("version", flat=True)]
    return sorted(concerned)


def _sessions_of(customer: Customer) -> set[str]:
    sessions = set(
        Event.objects.filter(customer=customer)
        .exclude(session_id="")
        .values_list("session_id", flat=True)
    )
    for label in ("support.Conversation", "recommendations.ListEvent", "marketing.AdEvent"):
        model = _model(label)
        if model is not None:
            sessions |= set(
                model.objects.filter(customer=customer)
                .exclude(session_id="")
                .values_list("session_id", flat=True)
            )
    return sessions


def _of_customer_or_sessions(customer: Customer, sessions: set[str]) -> Q:
    return Q(customer=customer) | Q(customer__isnull=True, session_id__in=sessions)


def _reviews_scrub(review_ids: list[int], counts: dict[str, int]) -> None:
    for label, key in (
        ("insights.AspectMention", "aspect_mentions_deleted"),
        ("insights.ReviewSentiment", "review_sentiments_deleted"),
        ("insights.ReviewLabelCorrection", "review_label_corrections_deleted"),
    ):
        model = _model(label)
        if model is not None:
            counts[key] = model.objects.filter(review_id__in=review_ids).delete()[0]
    alert_model = _model("insights.SentimentAlert")
    if alert_model is not None:
        scrubbed = 0
        erased = set(review_ids)
        for alert in alert_model.objects.filter(evidence__isnull=False).only("pk", "evidence"):
            kept = [
                item
                for item in alert.evidence
                if not (isinstance(item, dict) and item.get("review_id") in erased)
            ]
            if len(kept) != len(alert.evidence):
                scrubbed += len(alert.evidence) - len(kept)
                alert.evidence = kept
                alert.save(update_fields=["evidence"])
        counts["alert_evidence_removed"] = scrubbed
    counts["reviews_anonymised"] = Review.objects.filter(pk__in=review_ids).update(
        title="", text=""
    )


def _conversations_delete(customer: Customer, sessions: set[str], counts: dict[str, int]) -> None:
    Conversation = _model("support.Conversation")
    if Conversation is None:
        return
    conversations = Conversation.objects.filter(_of_customer_or_sessions(customer, sessions))
    Message = _model("support.Message")
    IntentExample = _model("support.IntentExample")
    if Message is not None and IntentExample is not None:
        corrected_texts = {
            text.strip()
            for text in Message.objects.filter(
                conversation__in=conversations, corrected_intent__isnull=False
            ).values_list("text", flat=True)
        }
        counts["intent_examples_deleted"] = IntentExample.objects.filter(
            source=IntentExample.Source.CORRECTION, text__in=corrected_texts
        ).delete()[0]
        counts["support_messages_deleted"] = Message.objects.filter(
            conversation__in=conversations
        ).count()
    counts["support_conversations_deleted"] = conversations.count()
    conversations.delete()


@transaction.atomic
def customer_erase(*, customer_id: int, user=None, via: str) -> PrivacyRequest:
    """Erase a customer's personal data in one transaction (see the module docstring).

    Locks the customer row; writes the placeholder, deletes and anonymises the rows named
    above, flags model versions for retraining and inserts the erasure record (counts only).
    Raises CustomerNotFound, or CustomerAlreadyErased for a placeholder.
    """
    try:
        customer = Customer.objects.select_for_update().get(pk=customer_id)
    except Customer.DoesNotExist as exc:
        raise CustomerNotFound(f"Customer {customer_id} does not exist.") from exc
    if customer.erased_at is not None:
        raise CustomerAlreadyErased(f"Customer {customer_id} was erased already.")
    now = timezone.now()
    record = PrivacyRequest.objects.create(
        kind=PrivacyRequest.Kind.ERASURE,
        customer=customer,
        requested_by=user if getattr(user, "pk", None) else None,
        via=via,
    )
    sessions = _sessions_of(customer)
    Conversation = _model("support.Conversation")
    conversation_ids = (
        list(
            Conversation.objects.filter(_of_customer_or_sessions(customer, sessions)).values_list(
                "pk", flat=True
            )
        )
        if Conversation is not None
        else []
    )
    first_rows = _first_training_rows(customer, conversation_ids)
    counts: dict[str, int] = {}

    counts["events_deleted"] = Event.objects.filter(
        _of_customer_or_sessions(customer, sessions)
    ).delete()[0]
    for label, key in (
        ("recommendations.ListEvent", "list_events_anonymised"),
        ("marketing.AdEvent", "ad_events_anonymised"),
    ):
        model = _model(label)
        if model is not None:
            counts[key] = model.objects.filter(_of_customer_or_sessions(customer, sessions)).update(
                customer=customer, session_id=""
            )
    for label, key in (
        ("recommendations.PersonalList", "personal_lists_deleted"),
        ("insights.CustomerScore", "scores_deleted"),
        ("insights.BehaviourClusterAssignment", "cluster_assignments_deleted"),
        ("insights.PurchasePropensity", "propensity_scores_deleted"),
    ):
        model = _model(label)
        if model is not None:
            counts[key] = model.objects.filter(customer=customer).delete()[0]
    _reviews_scrub(list(customer.reviews.values_list("pk", flat=True)), counts)
    _conversations_delete(customer, sessions, counts)
    counts["orders_kept"] = customer.orders.count()

    account = customer.user
    customer.email = None
    customer.name = ""
    customer.country = ""
    customer.external_id = f"erased-{secrets.token_hex(8)}"
    customer.marketing_consent = False
    customer.profiling_consent = False
    customer.user = None
    customer.erased_at = now
    customer.save()
    counts["accounts_deleted"] = 0
    if account is not None and not account.is_staff:
        get_user_model().objects.filter(pk=account.pk).delete()
        counts["accounts_deleted"] = 1

    record.counts = counts
    record.flagged_versions = _versions_flag(
        first_rows,
        reason=f"Trained on data of a customer erased on {now.date()} "
        f"(privacy request #{record.pk})",
    )
    record.save(update_fields=["counts", "flagged_versions"])
    return record
