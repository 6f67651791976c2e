"""Writes of marketing: checking and moving ad copy variants through their statuses, writing
variants with the generator, and recording the storefront's ad events."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from config.cache import version_bump
from marketing import selectors
from marketing.copy_checks import CheckResult, Embed, Variant, check_variants
from marketing.copy_generation import (
    MAX_EXAMPLES,
    ProductFacts,
    RejectionTally,
    build_prompt,
    review_completions,
    training_pair,
    unreadable_record,
)
from marketing.exceptions import AdCopyNotApprovable
from marketing.models import AdCopy, AdEvent, Campaign

if TYPE_CHECKING:
    from ml.training.inference import GenerationParams


def ads_changed() -> None:
    """Variants or campaigns changed: the variants cached per placement and product are stale
    from now on (a new ads cache version, again after the transaction commits).

    Saves and deletes of variants and campaigns, and changes of a campaign's target products,
    call this through `marketing.receivers`; writes that send no signal (update(),
    bulk_create()) call it themselves.
    """
    version_bump(selectors.ADS_CACHE_NAMESPACE)


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
    facts = selectors.copy_facts(product_id=adcopy.product_id, campaign=adcopy.campaign)
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
    rejected cannot be approved: they are returned, unchanged. Locks the rows; a change makes
    the cached variants on offer stale (`ads_changed`); returns (how many changed, the
    refused)."""
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
    if changed:
        ads_changed()
    return len(changed), refused


def adcopy_approve(*, adcopy: AdCopy) -> None:
    """Approve one variant; raises AdCopyNotApprovable when the checks rejected it."""
    _changed, refused = adcopy_set_status(adcopy_ids=[adcopy.pk], status=AdCopy.Status.APPROVED)
    if refused:
        raise AdCopyNotApprovable(
            f"The checks rejected this variant: {refused[0].rejection_reason}"
        )


def campaign_pause_losers(*, campaign: Campaign) -> list[int]:
    """When the campaign lets losers be paused and its report declares a winner, pause its
    other approved variants (at the winner's placement: others compete elsewhere). Returns the
    paused ids. Side effects: updates AdCopy rows (adcopy_set_status, locked)."""
    if not campaign.pause_losers:
        return []
    report = selectors.campaign_report(campaign=campaign)
    winner = report["winner"]
    if winner is None:
        return []
    placement = next(row["placement"] for row in report["variants"] if row["variant"] == winner)
    losers = [
        row["variant"]
        for row in report["variants"]
        if row["variant"] != winner
        and row["status"] == AdCopy.Status.APPROVED
        and row["placement"] == placement
    ]
    if losers:
        adcopy_set_status(adcopy_ids=losers, status=AdCopy.Status.PAUSED)
    return losers


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


# --- generation ---------------------------------------------------------------------------------

# The registry task of the brand-voice adapters; its champion writes the copy when promoted.
ADCOPY_TASK = "adcopy"


@dataclass(frozen=True)
class CopyWriter:
    """The generator that writes copy: the base model, or it with the champion brand-voice
    adapter merged in (`model_version` then says which)."""

    engine: Any
    model_version: Any = None

    @property
    def label(self) -> str:
        if self.model_version is not None:
            return f"{self.model_version} (brand-voice adapter on {self.engine.source})"
        return f"{self.engine.source} (base generator)"

    def write(self, prompts: Sequence[str], params: GenerationParams) -> list[str]:
        return list(self.engine.generate(list(prompts), params))


@functools.lru_cache(maxsize=1)
def _base_generator(source: str, cache_dir: str, device: str):
    from ml.training.inference import GeneratorEngine
    from ml.training.loading import generator_prepare

    return GeneratorEngine(generator_prepare(source, cache_dir), device=device)


def _adapted_generator(path: Path, version) -> Any:
    from ml.training.inference import GeneratorEngine

    return GeneratorEngine(
        settings.ML_GENERATOR,
        cache_dir=settings.ML_CACHE_DIR,
        device=settings.ML_DEVICE,
        adapter=path,
    )


def copy_writer() -> CopyWriter:
    """The champion brand-voice adapter of ADCOPY_TASK on the configured generator when one is
    promoted, else the base generator (settings.ML_GENERATOR); each loaded once per process
    (ml.serving.model_cache follows promotions). Raises ModelLoadError when neither loads."""
    from ml.exceptions import AliasNotSet
    from ml.serving import model_cache

    try:
        served = model_cache.get(task=ADCOPY_TASK, load=_adapted_generator)
    except AliasNotSet:
        engine = _base_generator(
            str(settings.ML_GENERATOR), str(settings.ML_CACHE_DIR), str(settings.ML_DEVICE)
        )
        return CopyWriter(engine=engine)
    return CopyWriter(engine=served.model, model_version=served.version)


def sentence_embedder() -> Embed:
    """The configured encoder's embeddings (duplicate detection by meaning)."""
    from ml.serving import encoder_engine

    return encoder_engine().embed


def adcopy_prompt(*, campaign: Campaign, product_id: int | None) -> str:
    """The generator's prompt for copy of the campaign about the product (None: about the
    campaign): the product's facts, the active brand voice, the channel's limits and up to
    three approved variants of other products in the channel as examples."""
    offer = selectors.campaign_offer(campaign=campaign)
    facts = (
        selectors.product_copy_facts(product_id=product_id, offer=offer)
        if product_id is not None
        else None
    ) or ProductFacts(title=campaign.name, offer=offer)
    return build_prompt(
        facts,
        voice=selectors.brand_voice_guide(),
        limits=selectors.channel_limits(channel=campaign.channel),
        examples=adcopy_examples(channel=campaign.channel, product_id=product_id, offer=offer),
    )


def adcopy_examples(*, channel: str, product_id: int | None, offer: str = "") -> list:
    """Up to MAX_EXAMPLES approved variants of other products: of the channel first and, when
    this copy has no offer, first those that state none (a small generator copies an
    example's "10% off" onto a product that has no offer, and the checks reject it)."""
    return selectors.approved_copy_with_facts(
        prefer_channel=channel,
        exclude_product_id=product_id,
        offer_last=not offer,
        limit=MAX_EXAMPLES,
    )


@transaction.atomic
def adcopy_record_completions(
    *,
    campaign: Campaign,
    product_id: int | None,
    placement: str,
    completions: Sequence[str],
    prompt_record: dict,
    model_version: Any = None,
    embed: Embed | None = None,
    user_id: int | None = None,
) -> list[AdCopy]:
    """Keep every completion of the generator as a draft variant: read into headline, body and
    call to action (copy_generation.review_completions: unreadable ones are rejected), checked
    like written copy but with over-long fields trimmed (channel limits, words to avoid,
    numbers and claims against the product's facts, near-duplicates by `embed`), with the
    check outcome, the reasons, the model version and the prompt (and the raw text).

    Side effects: inserts one AdCopy row per completion, all or none."""
    reviewed = review_completions(
        completions,
        facts=selectors.copy_facts(product_id=product_id, campaign=campaign),
        config=selectors.copy_check_config(channel=campaign.channel, repair=True),
        embed=embed,
    )
    rows = []
    for item, result in reviewed:
        copy = result.variant if result is not None else item.variant
        first_line = item.raw.strip().split("\n", 1)[0]
        row = AdCopy(
            campaign=campaign,
            product_id=product_id,
            channel=campaign.channel,
            placement=placement,
            headline=(copy.headline or first_line or "(no headline)")[:200],
            body=copy.body,
            call_to_action=copy.call_to_action[:80],
            status=AdCopy.Status.DRAFT,
            source=AdCopy.Source.GENERATED,
            created_by_id=user_id,
            model_version=model_version,
            prompt={**prompt_record, "raw": item.raw},
        )
        if result is None:
            row.check_outcome = AdCopy.CheckOutcome.REJECTED
            row.check_results = unreadable_record(item)
            row.rejection_reason = item.problem
        else:
            _record_check(row, result)
        rows.append(row)
    created = AdCopy.objects.bulk_create(rows)
    ads_changed()  # drafts are never served, but bulk_create sends no signal
    return created


def adcopy_generate(
    *,
    campaign_id: int,
    product_ids: Sequence[int | None],
    variants: int,
    placement: str,
    writer: CopyWriter,
    params: GenerationParams,
    embed: Embed | None = None,
    user_id: int | None = None,
    progress: Callable[[float, str], None] = lambda percent, message: None,
) -> dict[str, Any]:
    """Write `variants` variants per product (None: copy about the campaign) with `writer` and
    keep them all (adcopy_record_completions).

    Side effects: loads nothing itself (the writer and embed are the caller's); inserts AdCopy
    rows, one transaction per product. Returns counts by outcome and rejection reason."""
    campaign = Campaign.objects.get(pk=campaign_id)
    tally = RejectionTally()
    created: list[int] = []
    for done, product_id in enumerate(product_ids):
        prompt = adcopy_prompt(campaign=campaign, product_id=product_id)
        progress(
            100 * done / len(product_ids),
            f"Writing {variants} variants for product {done + 1} of {len(product_ids)}",
        )
        rows = adcopy_record_completions(
            campaign=campaign,
            product_id=product_id,
            placement=placement,
            completions=writer.write([prompt] * variants, params),
            prompt_record={
                "prompt": prompt,
                "generator": writer.label,
                "params": {
                    "max_new_tokens": params.max_new_tokens,
                    "temperature": params.temperature,
                    "top_p": params.top_p,
                    "seed": params.seed,
                },
            },
            model_version=writer.model_version,
            embed=embed,
            user_id=user_id,
        )
        created += [row.pk for row in rows]
        for row in rows:
            tally.add(
                passed=row.check_outcome != AdCopy.CheckOutcome.REJECTED,
                reasons=[r["code"] for r in row.check_results.get("reasons", [])],
            )
    progress(100, f"{tally.passed} of {tally.total} variants passed the checks")
    return {
        "variants": tally.total,
        "passed": tally.passed,
        "rejected": tally.total - tally.passed,
        "rejected_by_reason": dict(sorted(tally.by_reason.items())),
        "adcopy_ids": created,
        "generator": writer.label,
    }


@transaction.atomic
def adcopy_retire_replaced(*, adcopy_id: int) -> None:
    """Retire a variant a regeneration replaced. Locks the row; makes the cached variants on
    offer stale (`ads_changed`)."""
    AdCopy.objects.select_for_update().filter(pk=adcopy_id).update(
        status=AdCopy.Status.RETIRED, updated_at=timezone.now()
    )
    ads_changed()


# --- the brand-voice fine-tune --------------------------------------------------------------------

# Fewer approved variants than this teach the generator nothing it can be measured on.
MIN_VOICE_PAIRS = 8


def brand_voice_pairs(*, max_rows: int) -> tuple[list[str], list[str]]:
    """(prompts, completions) from the store's approved copy written for a product, newest
    first: the zero-shot prompt of the product's facts in the active voice, and its copy."""
    voice = selectors.brand_voice_guide()
    limits: dict[str, Any] = {}
    prompts, completions = [], []
    for example in selectors.approved_copy_with_facts(limit=max_rows):
        if example.channel not in limits:
            limits[example.channel] = selectors.channel_limits(channel=example.channel)
        prompt, completion = training_pair(
            example.facts, example.copy, voice=voice, limits=limits[example.channel]
        )
        prompts.append(prompt)
        completions.append(completion)
    return prompts, completions


def brand_voice_train(
    *,
    config: Any,
    max_rows: int,
    promote: bool,
    output_dir: Path,
    training_job_id: int | None = None,
    progress: Callable[[int, int, str], None] | None = None,
) -> tuple[Any, bool]:
    """Train a LoRA adapter of the configured generator on the approved copy
    (ml.training.lora.train_lora: held-out loss before and after), register it under
    ADCOPY_TASK, and with `promote` make it the champion when it lowered the held-out loss.

    Side effects: writes the adapter to `output_dir` and the artifact store; inserts a
    ModelVersion (and moves the alias when promoted). Raises ValueError with too little copy.
    Returns (the version, whether it was promoted)."""
    from ml import services as ml_services
    from ml.training.lora import train_lora

    prompts, completions = brand_voice_pairs(max_rows=max_rows)
    if len(prompts) < MIN_VOICE_PAIRS:
        raise ValueError(
            f"Only {len(prompts)} approved variants written for a product; the brand voice "
            f"needs at least {MIN_VOICE_PAIRS} to learn from."
        )
    result = train_lora(
        prompts,
        completions,
        config,
        settings.ML_GENERATOR,
        output_dir,
        progress=progress,
        cache_dir=settings.ML_CACHE_DIR,
    )
    metrics = {**result.metrics, "pairs": len(prompts)}
    version = ml_services.modelversion_register(
        task=ADCOPY_TASK,
        source_dir=result.output_dir,
        base_model=str(settings.ML_GENERATOR),
        training_job_id=training_job_id,
        data_summary={"source": "approved ad copy", "pairs": len(prompts)},
        hyperparameters={**asdict(config), "target_modules": list(config.target_modules)},
        metrics=metrics,
    )
    promoted = bool(promote) and metrics["eval_loss_after"] < metrics["eval_loss_before"]
    if promoted:
        ml_services.alias_promote(version_id=version.pk)
    return version, promoted
