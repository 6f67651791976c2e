"""Writes of the audit log. Entries are only ever created."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.db import models

from audit.context import current_actor
from audit.models import AuditEntry


def _plain(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


def audit_record(
    *,
    action: str,
    target: models.Model,
    changes: dict[str, tuple[Any, Any]] | None = None,
    user=None,
    alias_change_id: int | None = None,
) -> AuditEntry:
    """Insert one audit entry for `target`; the actor is `user`, else the current request's or
    `acting_as`'s user. Values are stored as JSON scalars (decimals as strings)."""
    actor = current_actor()
    user = user if getattr(user, "pk", None) else actor.user
    return AuditEntry.objects.create(
        action=action,
        actor=user,
        actor_label=getattr(user, "username", "") if user else "",
        source=actor.source,
        target_type=target._meta.label_lower,
        target_id=str(target.pk),
        target_label=str(target)[:255],
        changes={
            field: [_plain(before), _plain(after)]
            for field, (before, after) in (changes or {}).items()
        },
        alias_change_id=alias_change_id,
    )


PRODUCT_AUDITED_FIELDS = ("price", "stock")


def product_changes_record(
    *, changes: Iterable[tuple[int, str, Mapping[str, Any], Mapping[str, Any]]], user=None
) -> list[AuditEntry]:
    """Insert one entry per product whose price or stock changed, in one bulk insert.

    `changes` holds (product id, label, values before, values after); for bulk writers such as
    an import, which save products without `save()` (so no receiver sees them). Products whose
    audited fields did not change get no entry.
    """
    actor = current_actor()
    user = user if getattr(user, "pk", None) else actor.user
    entries = []
    for product_id, label, before, after in changes:
        changed = {
            field: [_plain(before.get(field)), _plain(after.get(field))]
            for field in PRODUCT_AUDITED_FIELDS
            if field in after and before.get(field) != after.get(field)
        }
        if changed:
            entries.append(
                AuditEntry(
                    action=AuditEntry.Action.PRODUCT_CHANGE,
                    actor=user,
                    actor_label=getattr(user, "username", "") if user else "",
                    source=actor.source,
                    target_type="shop.product",
                    target_id=str(product_id),
                    target_label=label[:255],
                    changes=changed,
                )
            )
    return AuditEntry.objects.bulk_create(entries)
