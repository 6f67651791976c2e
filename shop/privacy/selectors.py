"""Reads of a customer's personal data: the export, and which customers are erased.

The export walks the relations: every model with a foreign key to the customer (and, below the
rows exported, every model with a foreign key to those) is named in `RELATIONS`, either exported
under a section name or excluded with the reason. `relations_unlisted()` lists the relations
nobody decided on; a test keeps it empty, so a new customer-linked model cannot be forgotten.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.apps import apps
from django.db import models
from django.utils import timezone

from shop.models import Customer

EXPORT_FORMAT = "backoffice-customer-export/1"
# Never exported, whatever the model: credentials and their hashes.
SECRET_FIELD_WORDS = ("password", "secret", "hash", "token")


@dataclass(frozen=True)
class Export:
    """Rows of this relation are exported under `section`."""

    section: str


@dataclass(frozen=True)
class Excluded:
    """Rows of this relation are not exported, for `reason`."""

    reason: str


# "<app_label>.<Model>.<foreign key field>" -> what the export does with the rows whose
# foreign key points at a row already in the export (the customer, at the top).
RELATIONS: dict[str, Export | Excluded] = {
    "shop.Order.customer": Export("orders"),
    "shop.OrderItem.order": Export("items"),
    "shop.Review.customer": Export("reviews"),
    "insights.ReviewSentiment.review": Export("sentiment"),
    "insights.ReviewLabelCorrection.review": Excluded(
        "a staff label for training, not data about the customer"
    ),
    "insights.AspectMention.review": Export("aspect_mentions"),
    "shop.Event.customer": Export("events"),
    "support.Conversation.customer": Export("support_conversations"),
    "support.Message.conversation": Export("messages"),
    "support.Handoff.conversation": Export("handoffs"),
    "marketing.AdEvent.customer": Export("ad_events"),
    "recommendations.ListEvent.customer": Export("recommendation_list_events"),
    "recommendations.PersonalList.customer": Export("recommendations_for_you"),
    "insights.CustomerScore.customer": Export("scores"),
    "insights.BehaviourClusterAssignment.customer": Export("behaviour_cluster"),
    "insights.PurchasePropensity.customer": Export("purchase_propensity"),
    "audit.PrivacyRequest.customer": Export("privacy_requests"),
}


def _label(model: type[models.Model]) -> str:
    return model._meta.label


def _foreign_keys_to(
    target: type[models.Model], candidates: Iterable[type[models.Model]]
) -> list[tuple[str, type[models.Model], models.ForeignKey]]:
    """(relation key, model, field) of every foreign key or one-to-one field to `target`."""
    found = []
    for model in candidates:
        for field in model._meta.get_fields():
            if (
                isinstance(field, models.ForeignKey)  # OneToOneField is one
                and field.remote_field.model is target
            ):
                found.append((f"{_label(model)}.{field.name}", model, field))
    return sorted(found, key=lambda relation: relation[0])


def relations_unlisted(*, all_models: Iterable[type[models.Model]] | None = None) -> list[str]:
    """The relations below the customer (through every exported relation) that `RELATIONS` does
    not list. `all_models` defaults to every installed model."""
    candidates = list(all_models if all_models is not None else apps.get_models())
    missing: list[str] = []
    seen: set[type[models.Model]] = set()
    targets = [Customer]
    while targets:
        target = targets.pop()
        if target in seen:
            continue
        seen.add(target)
        for key, model, _field in _foreign_keys_to(target, candidates):
            rule = RELATIONS.get(key)
            if rule is None:
                missing.append(key)
            elif isinstance(rule, Export):
                targets.append(model)
    return sorted(set(missing))


def _value(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _row(instance: models.Model) -> dict[str, Any]:
    row = {}
    for field in instance._meta.concrete_fields:
        if any(word in field.name for word in SECRET_FIELD_WORDS):
            continue
        row[field.attname] = _value(getattr(instance, field.attname))
    return row


def _children(model: type[models.Model], parents: list[models.Model]) -> dict[str, Any]:
    """The exported rows of every relation to `model`, grouped by parent id: one query per
    relation, so the export runs a fixed number of queries whatever the customer holds."""
    found: dict[str, dict[int, list[dict[str, Any]]]] = {}
    parent_ids = [parent.pk for parent in parents]
    for key, child_model, field in _foreign_keys_to(model, apps.get_models()):
        rule = RELATIONS.get(key)
        if not isinstance(rule, Export):
            continue
        rows = list(
            child_model._default_manager.filter(**{f"{field.name}__in": parent_ids}).order_by("pk")
        )
        nested = _children(child_model, rows) if rows else {}
        grouped: dict[int, list[dict[str, Any]]] = defaultdict(list)
        for row in rows:
            data = _row(row)
            for section, by_parent in nested.items():
                data[section] = by_parent.get(row.pk, [])
            grouped[getattr(row, field.attname)].append(data)
        found[rule.section] = grouped
    return found


def customer_export(*, customer_id: int) -> dict[str, Any]:
    """Everything the store holds about one customer, as JSON-ready data.

    Sections: the profile (every field of the customer), consents, the login account (no
    password), and one list per exported relation (orders with items, reviews with their
    scores, events, support conversations with messages, ad and recommendation-list events,
    the precomputed list, scores and segment, privacy requests). Raises Customer.DoesNotExist.
    """
    customer = Customer.objects.select_related("user").get(pk=customer_id)
    user = customer.user
    account = None
    if user is not None:
        account = {
            "username": user.get_username(),
            "email": user.email,
            "first_name": user.first_name,
            "last_name": user.last_name,
            "date_joined": _value(user.date_joined),
            "last_login": _value(user.last_login),
        }
    related = _children(Customer, [customer])
    return {
        "format": EXPORT_FORMAT,
        "exported_at": _value(timezone.now()),
        "profile": _row(customer),
        "consents": {
            "marketing": customer.marketing_consent,
            "profiling": customer.profiling_consent,
        },
        "account": account,
        **{section: by_parent.get(customer.pk, []) for section, by_parent in related.items()},
    }


def erased_customer_ids() -> set[int]:
    """Ids of the erased customers (their placeholders keep orders; training skips them)."""
    return set(Customer.objects.filter(erased_at__isnull=False).values_list("pk", flat=True))
