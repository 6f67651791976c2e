"""Job kinds of marketing:

- `adcopy_generate` (gpu queue): write ad copy variants for a campaign's products (or one
  product, or in place of one variant) with the generator, checked and kept with their outcome.
- `brand_voice_lora` (gpu queue): fine-tune the generator (LoRA) on the store's approved copy
  and register the adapter under the "adcopy" task; promoted when it lowers the held-out loss.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from django.conf import settings
from rest_framework import serializers

from config.celery import app
from marketing import selectors, services
from marketing.copy_generation import STOP_STRINGS
from marketing.models import AdCopy, Campaign
from ml.exceptions import BadJobInput
from ml.job_kinds import GPU_QUEUE, JobContext, JobOutcome, job_task

MAX_VARIANTS = 12


class AdCopyGenerateParams(serializers.Serializer):
    campaign = serializers.IntegerField(min_value=1, help_text="The campaign to write for.")
    product = serializers.IntegerField(
        min_value=1,
        required=False,
        allow_null=True,
        default=None,
        help_text="One product; empty: the campaign's products (its target products, or the "
        "best stocked of its target category), or copy about the campaign when it has none.",
    )
    replace = serializers.IntegerField(
        min_value=1,
        required=False,
        allow_null=True,
        default=None,
        help_text="A variant to regenerate: one new variant for its product and placement; "
        "the old one is retired.",
    )
    variants = serializers.IntegerField(
        min_value=1, max_value=MAX_VARIANTS, default=4, help_text="Variants per product."
    )
    placement = serializers.SlugField(max_length=64, default="product-page")
    max_new_tokens = serializers.IntegerField(min_value=8, max_value=160, default=72)
    temperature = serializers.FloatField(min_value=0.0, max_value=1.5, default=0.8)
    seed = serializers.IntegerField(min_value=0, default=0)

    def validate(self, attrs):
        campaign = Campaign.objects.filter(pk=attrs["campaign"]).first()
        if campaign is None:
            raise serializers.ValidationError({"campaign": "No such campaign."})
        if attrs.get("product") is not None:
            from shop import selectors as shop_selectors

            if not shop_selectors.products_by_ids(product_ids=[attrs["product"]]):
                raise serializers.ValidationError({"product": "No such product."})
        if attrs.get("replace") is not None:
            variant = AdCopy.objects.filter(pk=attrs["replace"]).first()
            if variant is None or variant.campaign_id != campaign.pk:
                raise serializers.ValidationError({"replace": "No such variant in this campaign."})
        return attrs


@job_task(
    kind="adcopy_generate",
    label="Write ad copy variants",
    queue=GPU_QUEUE,
    params_serializer=AdCopyGenerateParams,
    soft_time_limit=2 * 3600,
    time_limit=2 * 3600 + 300,
)
def adcopy_generate(ctx: JobContext) -> JobOutcome:
    """Write ad copy variants with the generator; every variant is checked and kept."""
    from ml.training.inference import GenerationParams

    params = ctx.params
    campaign = Campaign.objects.get(pk=params["campaign"])
    placement = params["placement"]
    variants = params["variants"]
    replaced = None
    if params.get("replace"):
        replaced = AdCopy.objects.get(pk=params["replace"])
        product_ids: list[int | None] = [replaced.product_id]
        placement, variants = replaced.placement, 1
    elif params.get("product"):
        product_ids = [params["product"]]
    else:
        product_ids = list(selectors.campaign_product_ids(campaign=campaign)) or [None]
    ctx.progress(1, "Loading the generator")
    writer = services.copy_writer()
    embed = services.sentence_embedder()
    generation = GenerationParams(
        max_new_tokens=params["max_new_tokens"],
        temperature=params["temperature"],
        do_sample=params["temperature"] > 0,
        top_p=0.95,
        seed=params["seed"],
        stop=STOP_STRINGS,
        batch_size=min(variants, 8),
        max_input_tokens=1024,
    )
    result = services.adcopy_generate(
        campaign_id=campaign.pk,
        product_ids=product_ids,
        variants=variants,
        placement=placement,
        writer=writer,
        params=generation,
        embed=embed,
        user_id=ctx.created_by_id,
        progress=lambda percent, message: ctx.progress(5 + 0.94 * percent, message),
    )
    if replaced is not None:
        services.adcopy_retire_replaced(adcopy_id=replaced.pk)
        result["replaced"] = replaced.pk
    return JobOutcome(
        metrics={
            "variants": result["variants"],
            "passed": result["passed"],
            "pass_rate": round(result["passed"] / result["variants"], 4)
            if result["variants"]
            else None,
        },
        result=result,
        model_version=writer.model_version,
    )


class BrandVoiceLoraParams(serializers.Serializer):
    max_rows = serializers.IntegerField(min_value=4, max_value=50_000, default=2000)
    epochs = serializers.IntegerField(min_value=1, max_value=20, default=2)
    batch_size = serializers.IntegerField(min_value=1, max_value=64, default=8)
    lr = serializers.FloatField(min_value=1e-7, max_value=1e-2, default=2e-4)
    rank = serializers.IntegerField(min_value=1, max_value=128, default=8)
    max_length = serializers.IntegerField(min_value=32, max_value=1024, default=320)
    eval_fraction = serializers.FloatField(min_value=0.05, max_value=0.5, default=0.2)
    max_steps = serializers.IntegerField(min_value=1, required=False, allow_null=True)
    seed = serializers.IntegerField(min_value=0, default=13)
    promote = serializers.BooleanField(
        default=True,
        help_text="Make the adapter the copy writer (champion) when it lowers the held-out "
        "loss below the base generator's.",
    )


def brand_voice_config(params: dict):
    """The LoraTrainConfig of validated BrandVoiceLoraParams (less max_rows and promote), on
    this worker's device."""
    from ml.training.lora import LoraTrainConfig

    hyper = {k: v for k, v in params.items() if k not in {"max_rows", "promote"}}
    if hyper.get("max_steps") is None:
        hyper.pop("max_steps", None)
    return LoraTrainConfig.from_dict({**hyper, "device": settings.ML_DEVICE})


@job_task(
    kind="brand_voice_lora",
    label="Fine-tune the brand voice (LoRA)",
    queue=GPU_QUEUE,
    params_serializer=BrandVoiceLoraParams,
    soft_time_limit=6 * 3600,
    time_limit=6 * 3600 + 300,
)
def brand_voice_lora(ctx: JobContext) -> JobOutcome:
    """Fine-tune the generator on the store's approved copy; register, and promote if better."""
    params = dict(ctx.params)
    promote = params.pop("promote")
    max_rows = params.pop("max_rows")
    config = brand_voice_config(params)
    ctx.progress(1, "Reading the approved copy")
    with tempfile.TemporaryDirectory(prefix="brand-voice-") as tmp:
        try:
            version, promoted = services.brand_voice_train(
                config=config,
                max_rows=max_rows,
                promote=promote,
                output_dir=Path(tmp) / "adapter",
                training_job_id=ctx.job_id,
                progress=lambda step, total, message: ctx.progress(
                    2 + 93 * step / max(total, 1), message
                ),
            )
        except ValueError as exc:  # too little approved copy, bad settings: never retry
            raise BadJobInput(str(exc)) from exc
    metrics = version.metrics
    return JobOutcome(
        metrics={
            key: metrics.get(key)
            for key in (
                "eval_loss_before",
                "eval_loss_after",
                "perplexity_before",
                "perplexity_after",
            )
        }
        | {"pairs": metrics.get("pairs")},
        result={"version": version.version, "task": version.task, "promoted": promoted},
        model_version=version,
    )


@app.task(name="marketing.pause_losers_hourly")
def marketing_pause_losers_hourly() -> dict[int, list[int]]:
    """Beat entry point: in running campaigns that let losers be paused, pause the variants a
    declared winner beats. Returns {campaign id: paused variant ids}."""
    from django.utils import timezone

    paused = {}
    for campaign in selectors.campaign_list_running(on=timezone.localdate()).filter(
        pause_losers=True
    ):
        if ids := services.campaign_pause_losers(campaign=campaign):
            paused[campaign.pk] = ids
    return paused
