"""Demo copy for the demo store's campaigns (run by `make run` through `manage.py
marketing_demo`): the house brand voice, a few written variants per campaign (checked like any
copy; those that pass are approved, so the storefront and the generator's few-shot prompt have
copy to use), and one generation job queued per store so the marketer sees generated variants
once a worker has run it. Idempotent: campaigns that have variants are left alone."""

from __future__ import annotations

from collections.abc import Callable

from django.db import transaction

from marketing import selectors, services
from marketing.models import AdCopy, BrandVoice, Campaign

HOUSE_VOICE = {
    "name": "House voice",
    "tone_words": ["warm", "plain", "confident"],
    "words_to_avoid": ["cheap", "amazing", "unbelievable", "guaranteed", "best"],
}
PRODUCTS_PER_CAMPAIGN = 6
DEMO_PLACEMENT = "product-page"
CALLS_TO_ACTION = ("Shop now", "See the edit", "Take a look")


def _written_variants(campaign: Campaign, product_id: int) -> list[AdCopy]:
    """Three variants of the product in the house voice, phrased from its facts only (so that
    they pass the checks): the copy a store's marketers would have approved, which the
    generator's few-shot prompt and the brand-voice LoRA learn from."""
    facts = selectors.product_copy_facts(product_id=product_id)
    if facts is None:
        return []
    attributes = dict(facts.attributes)
    detail = next((attributes[k] for k in ("colour", "color", "material") if k in attributes), "")
    noun = (facts.category or "piece").lower()
    in_detail = f" in {detail}" if detail else ""
    offer = f"{campaign.discount_percent}% off {noun}" if campaign.discount_percent else ""
    headlines = [facts.title, offer or f"New in {noun}", offer or f"Our {noun} edit"]
    bodies = [
        f"{facts.title}{in_detail}, made to wear every day.",
        f"Find {facts.title.lower()} in our {noun} edit.",
        f"{facts.title}{in_detail}: easy to wear, easy to love.",
    ]
    # Rotate the pairings by product so that the store's copy is not one fixed pattern.
    shift = product_id % len(bodies)
    bodies = bodies[shift:] + bodies[:shift]
    return [
        AdCopy(
            campaign=campaign,
            product_id=product_id,
            channel=campaign.channel,
            placement=DEMO_PLACEMENT,
            headline=headline[:200],
            body=body,
            call_to_action=cta,
            tone="warm",
            source=AdCopy.Source.WRITTEN,
        )
        for headline, body, cta in zip(headlines, bodies, CALLS_TO_ACTION, strict=True)
    ]


@transaction.atomic
def demo_copy_build(*, log: Callable[[str], None] = print) -> dict[str, int]:
    """Write, check and approve the demo variants; returns counts. Writes BrandVoice and
    AdCopy rows."""
    if selectors.brand_voice_active() is None:
        BrandVoice.objects.create(is_active=True, **HOUSE_VOICE)
        log("Marketing: created the house brand voice")
    written = approved = 0
    for campaign in Campaign.objects.order_by("pk"):
        if AdCopy.objects.filter(campaign=campaign).exists():
            continue
        for product_id in selectors.campaign_product_ids(
            campaign=campaign, limit=PRODUCTS_PER_CAMPAIGN
        ):
            for variant in _written_variants(campaign, product_id):
                result = services.adcopy_check_and_save(adcopy=variant)
                written += 1
                if result.outcome != "rejected":
                    services.adcopy_approve(adcopy=variant)
                    approved += 1
    log(f"Marketing: {written} demo variants written, {approved} approved")
    return {"written": written, "approved": approved}


def demo_generation_queue(*, log: Callable[[str], None] = print) -> int | None:
    """Queue one generation (3 variants for one product of the latest campaign) unless one was
    ever queued; it runs when a worker starts. Returns the job id, or None."""
    from ml.selectors import job_list
    from ml.services import job_submit

    if job_list(kind="adcopy_generate").exists():
        log("Marketing: a generation job exists already")
        return None
    campaign = Campaign.objects.order_by("-starts_on", "-pk").first()
    if campaign is None:
        return None
    products = selectors.campaign_product_ids(campaign=campaign, limit=1)
    params = {"campaign": campaign.pk, "variants": 3, "placement": DEMO_PLACEMENT}
    if products:
        params["product"] = products[0]
    job = job_submit(kind="adcopy_generate", params=params)
    log(f"Marketing: queued generation job #{job.pk} for {campaign.name}")
    return job.pk
