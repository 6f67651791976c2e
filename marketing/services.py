"""Writes of marketing: checking and moving ad copy variants through their statuses, and
recording the storefront's ad events."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone

from marketing import selectors
from marketing.copy_checks import CheckResult, Variant, check_variants
from marketing.exceptions import AdCopyNotApprovable
from marketing.models import AdCopy, AdEvent


def _record_check(adcopy: AdCopy, result: CheckResult) -> None:
    adcopy.check_outcome = result.outcome
    adcopy.check_results = result.as_record()
    adcopy.rejection_reason = "\n".join(issue.message for issue in result.reasons)
    if result.outcome == AdCopy.CheckOutcome.REJECTED and adcopy.status == AdCopy.Status.APPROVED:
        adcopy.status = AdCopy.Status.DRAFT


@transaction.atomic
def adcopy_check_and_save(*, adcopy: AdCopy, user=None) -> CheckResult:
    """Run the copy checks on one variant (channel limits, the active brand voice's words to
    avoid, numbers and claims against its product's facts) and save it with the result.

    Written copy is the marketer's own: it is never rewritten, a field over its limit is a
    reason to reject. A rejected variant goes back to draft. Writes the AdCopy row."""
    config = selectors.copy_check_config(
        channel=adcopy.channel, repair=adcopy.source == AdCopy.Source.GENERATED
    )
    facts = selectors.product_facts(product_id=adcopy.product_id)
    variant = Variant(adcopy.headline, adcopy.body, adcopy.call_to_action)
    (result,) = check_variants([variant], facts=facts, config=config)
    if result.outcome == "repaired":
        adcopy.headline = result.variant.headline
        adcopy.body = result.variant.body
        adcopy.call_to_action = result.variant.call_to_action
    _record_check(adcopy, result)
    if adcopy.created_by_id is None and user is not None and user.is_authenticated:
        adcopy.created_by = user
    adcopy.save()
    return result


@transaction.atomic
def adcopy_set_status(*, adcopy_ids: Iterable[int], status: str) -> tuple[int, list[AdCopy]]:
    """Move variants to `status` (approve, pause, retire, back to draft). Variants the checks
    rejected cannot be approved: they are returned, unchanged. Locks the rows; returns (how
    many changed, the refused)."""
    variants = list(AdCopy.objects.select_for_update().filter(pk__in=list(adcopy_ids)))
    refused = []
    changed = []
    for variant in variants:
        if (
            status == AdCopy.Status.APPROVED
            and variant.check_outcome == AdCopy.CheckOutcome.REJECTED
        ):
            refused.append(variant)
        elif variant.status != status:
            changed.append(variant.pk)
    AdCopy.objects.filter(pk__in=changed).update(status=status, updated_at=timezone.now())
    return len(changed), refused


def adcopy_approve(*, adcopy: AdCopy) -> None:
    """Approve one variant; raises AdCopyNotApprovable when the checks rejected it."""
    _changed, refused = adcopy_set_status(adcopy_ids=[adcopy.pk], status=AdCopy.Status.APPROVED)
    if refused:
        raise AdCopyNotApprovable(
            f"The checks rejected this variant: {refused[0].rejection_reason}"
        )


def ad_event_create_batch(*, events: Iterable[dict]) -> int:
    """Record impressions and clicks (validated by the API serializer, which resolved each
    row's campaign and product), all or none. Returns how many."""
    now = timezone.now()
    rows = [
        AdEvent(
            kind=event["kind"],
            placement=event["placement"],
            campaign_id=event["campaign"],
            variant_id=event.get("variant"),
            is_holdout=event.get("variant") is None,
            product_id=event.get("product"),
            customer_id=event.get("customer"),
            session_id=event.get("session_id", ""),
            occurred_at=event.get("occurred_at") or now,
        )
        for event in events
    ]
    with transaction.atomic():
        AdEvent.objects.bulk_create(rows, batch_size=1000)
    return len(rows)
