"""The generation and brand-voice jobs with the real engines on tiny config-built models; the
recording of completions on fixed texts; the packaged generator in two slow tests."""

import pytest
from rest_framework.exceptions import ValidationError

from marketing import selectors, services
from marketing.models import AdCopy, BrandVoice
from ml import services as ml_services
from ml.models import Job, ModelVersion
from tests.factories.marketing import AdCopyFactory, CampaignFactory
from tests.factories.shop import CategoryFactory, ProductFactory

pytestmark = pytest.mark.django_db


def knitwear():
    return ProductFactory(title="Merino crew jumper", price="75.00", attributes={"colour": "navy"})


def record(campaign, product, completions, **kwargs):
    return services.adcopy_record_completions(
        campaign=campaign,
        product_id=product.pk if product else None,
        placement="product-page",
        completions=completions,
        prompt_record={"prompt": "the prompt", "generator": "test"},
        **kwargs,
    )


def test_every_completion_is_kept_as_a_draft_with_its_outcome_and_reason():
    campaign = CampaignFactory(channel="display")
    product = knitwear()
    rows = record(
        campaign,
        product,
        [
            " Soft navy merino\nBody: A merino crew neck.\nCall to action: Shop now",
            " Navy merino, 50% off\nBody: A merino crew neck.\nCall to action: Shop now",
            "",
        ],
    )
    assert [r.status for r in rows] == ["draft"] * 3
    assert [r.source for r in rows] == ["generated"] * 3
    assert [r.check_outcome for r in rows] == ["ok", "rejected", "rejected"]
    assert rows[1].rejection_reason == 'Headline says "50%", which the product facts do not.'
    assert "no headline" in rows[2].rejection_reason
    assert rows[2].check_results["reasons"][0]["code"] == "unreadable"
    assert rows[1].prompt["raw"].startswith(" Navy merino, 50% off")
    assert rows[0].prompt["prompt"] == "the prompt"
    assert AdCopy.objects.filter(campaign=campaign).count() == 3


def test_generated_copy_over_the_channel_limit_is_trimmed_not_rejected():
    campaign = CampaignFactory(channel="search")  # headline at most 30 characters (seeded)
    (row,) = record(
        campaign,
        knitwear(),
        [" Soft navy merino jumper for the coldest days\nBody: Merino.\nCall to action: Shop"],
    )
    assert row.check_outcome == "repaired"
    assert len(row.headline) <= 30


def test_near_duplicate_completions_are_rejected_by_embedding_similarity(tiny_models):
    from marketing.copy_checks import CheckConfig
    from marketing.copy_generation import review_completions

    text = " Soft navy merino\nBody: A merino crew neck.\nCall to action: Shop now"
    # The n-gram pre-filter is off, so the configured encoder's cosine similarity decides.
    reviewed = review_completions(
        [text, text.replace("Shop now", "Shop now!")],
        facts="Merino crew jumper",
        config=CheckConfig(duplicate_jaccard=None),
        embed=services.sentence_embedder(),
    )
    assert reviewed[0][1].outcome == "ok"
    assert reviewed[1][1].outcome == "rejected"
    assert reviewed[1][1].duplicate_of == 0


def test_the_prompt_uses_the_products_facts_voice_and_approved_examples():
    BrandVoice.objects.create(
        name="House", is_active=True, tone_words=["warm"], words_to_avoid=["cheap"]
    )
    campaign = CampaignFactory(channel="display")
    other = ProductFactory(title="Linen dress", price="59.00")
    AdCopyFactory(
        campaign=campaign, product=other, headline="Easy linen", body="Breathable.",
        call_to_action="Shop the dress",
    )  # fmt: skip
    prompt = services.adcopy_prompt(campaign=campaign, product_id=knitwear().pk)
    assert "Tone: warm." in prompt and "Never use these words: cheap." in prompt
    assert "Headline: Easy linen\nBody: Breathable." in prompt
    assert "Product: Merino crew jumper" in prompt and "Price: 75.00 " in prompt
    assert "colour: navy" in prompt
    assert prompt.endswith("Headline:")


def test_a_campaign_writes_for_its_target_products_or_its_category():
    product = knitwear()
    other = ProductFactory(category=product.category, stock=50)
    by_products = CampaignFactory()
    by_products.target_products.add(product)
    by_category = CampaignFactory(target_category=product.category)
    assert selectors.campaign_product_ids(campaign=by_products) == [product.pk]
    assert selectors.campaign_product_ids(campaign=by_category) == [other.pk, product.pk]
    assert selectors.campaign_product_ids(campaign=CampaignFactory()) == []


def test_the_generation_job_writes_checks_and_keeps_every_variant(tiny_models):
    campaign = CampaignFactory()
    product = knitwear()
    job = ml_services.job_run_in_process(
        kind="adcopy_generate",
        params={"campaign": campaign.pk, "product": product.pk, "variants": 3,
                "max_new_tokens": 12},
    )  # fmt: skip
    assert job.status == Job.Status.SUCCEEDED, job.error
    assert job.progress == 100
    rows = list(AdCopy.objects.filter(campaign=campaign))
    assert len(rows) == 3 == job.result["variants"]
    assert sorted(job.result["adcopy_ids"]) == sorted(r.pk for r in rows)
    for row in rows:
        assert row.status == AdCopy.Status.DRAFT
        assert row.check_outcome != AdCopy.CheckOutcome.UNCHECKED
        assert row.prompt["prompt"].endswith("Headline:")
        assert "base generator" in row.prompt["generator"]
        assert row.model_version is None
        if row.check_outcome == AdCopy.CheckOutcome.REJECTED:
            assert row.rejection_reason
    assert job.result["passed"] + job.result["rejected"] == 3


def test_regenerating_a_variant_writes_one_new_one_and_retires_the_old(tiny_models):
    campaign = CampaignFactory()
    old = AdCopyFactory(campaign=campaign, product=knitwear(), placement="home-hero")
    job = ml_services.job_run_in_process(
        kind="adcopy_generate",
        params={"campaign": campaign.pk, "replace": old.pk, "max_new_tokens": 8},
    )
    assert job.status == Job.Status.SUCCEEDED, job.error
    old.refresh_from_db()
    assert old.status == AdCopy.Status.RETIRED
    (new,) = AdCopy.objects.filter(campaign=campaign).exclude(pk=old.pk)
    assert (new.product_id, new.placement) == (old.product_id, "home-hero")


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"campaign": 999999}, "campaign"),
        ({"variants": 0}, "variants"),
        ({"variants": 99}, "variants"),
        ({"product": 999999}, "product"),
        ({"placement": "not a slug"}, "placement"),
    ],
)
def test_bad_generation_parameters_are_field_errors_and_nothing_is_queued(params, field):
    campaign = CampaignFactory()
    with pytest.raises(ValidationError) as error:
        ml_services.job_submit(kind="adcopy_generate", params={"campaign": campaign.pk, **params})
    assert field in error.value.detail
    assert not Job.objects.exists()


def test_a_variant_of_another_campaign_cannot_be_regenerated_here():
    variant = AdCopyFactory()
    with pytest.raises(ValidationError) as error:
        ml_services.job_submit(
            kind="adcopy_generate", params={"campaign": CampaignFactory().pk, "replace": variant.pk}
        )
    assert "replace" in error.value.detail


def approved_copy(count: int):
    campaign = CampaignFactory()
    for i in range(count):
        product = ProductFactory(title=f"Wool scarf {i}", attributes={"colour": "grey"})
        AdCopyFactory(
            campaign=campaign, product=product, headline="Warm grey wool",
            body="A soft wool scarf for cold mornings.", call_to_action="Shop the scarf",
        )  # fmt: skip


def test_the_brand_voice_lora_lowers_held_out_loss_registers_and_promotes(tiny_models):
    approved_copy(20)
    job = ml_services.job_run_in_process(
        kind="brand_voice_lora",
        params={"epochs": 3, "batch_size": 8, "lr": 1e-2, "rank": 4, "max_length": 160,
                "eval_fraction": 0.2},
    )  # fmt: skip
    assert job.status == Job.Status.SUCCEEDED, job.error
    version = ModelVersion.objects.get(task=services.ADCOPY_TASK)
    assert job.model_version == version
    assert version.metrics["pairs"] == 20
    assert version.metrics["rows"] == {"train": 16, "held_out": 4}
    assert version.metrics["eval_loss_after"] < version.metrics["eval_loss_before"]
    assert job.result["promoted"] is True
    # The champion adapter now writes the copy, and each variant records it.
    writer = services.copy_writer()
    assert writer.model_version == version
    campaign = CampaignFactory()
    job = ml_services.job_run_in_process(
        kind="adcopy_generate",
        params={"campaign": campaign.pk, "product": knitwear().pk, "variants": 1,
                "max_new_tokens": 8},
    )  # fmt: skip
    assert job.status == Job.Status.SUCCEEDED, job.error
    assert AdCopy.objects.get(campaign=campaign).model_version == version


def test_the_brand_voice_needs_enough_approved_copy(tiny_models):
    approved_copy(3)
    job = ml_services.job_run_in_process(kind="brand_voice_lora", params={})
    assert job.status == Job.Status.FAILED
    assert "at least 8" in job.error
    assert not ModelVersion.objects.exists()


@pytest.fixture
def packaged_generator(settings):
    """The packaged Gemma through the configured cache (converted once per VAR_DIR)."""
    from ml.serving import model_cache

    settings.ML_GENERATOR = "default"
    settings.ML_DEVICE = "cpu"
    model_cache.clear()
    yield
    model_cache.clear()


@pytest.mark.slow
def test_the_packaged_generator_writes_readable_copy_from_the_facts(packaged_generator):
    from marketing.copy_generation import STOP_STRINGS
    from ml.training.inference import GenerationParams

    campaign = CampaignFactory(channel="social")
    product = knitwear()
    result = services.adcopy_generate(
        campaign_id=campaign.pk,
        product_ids=[product.pk],
        variants=2,
        placement="product-page",
        writer=services.copy_writer(),
        params=GenerationParams(max_new_tokens=40, do_sample=False, temperature=0.0,
                                stop=STOP_STRINGS),
    )  # fmt: skip
    assert result["variants"] == 2
    rows = list(AdCopy.objects.filter(campaign=campaign))
    assert all(row.prompt["raw"] for row in rows)
    readable = [
        row
        for row in rows
        if "unreadable" not in {reason["code"] for reason in row.check_results["reasons"]}
    ]
    assert readable, [row.prompt["raw"] for row in rows]
    assert all(row.headline and (row.body or row.call_to_action) for row in readable)


def test_the_campaigns_offer_is_a_fact_its_copy_may_state():
    product = knitwear()
    text = " Merino, 20% off\nBody: A merino crew neck.\nCall to action: Shop now"
    (on_offer,) = record(CampaignFactory(discount_percent=20), product, [text])
    (no_offer,) = record(CampaignFactory(discount_percent=0), product, [text])
    (other_offer,) = record(CampaignFactory(discount_percent=15), product, [text])
    assert on_offer.check_outcome == "ok"
    assert no_offer.check_outcome == other_offer.check_outcome == "rejected"
    prompt = services.adcopy_prompt(
        campaign=CampaignFactory(discount_percent=20), product_id=product.pk
    )
    assert "Offer: 20% off\nHeadline:" in prompt


def test_copy_that_names_another_category_of_the_store_is_rejected():
    tops = CategoryFactory(name="Tops")
    blouses = CategoryFactory(name="Blouses", parent=tops)
    CategoryFactory(name="Jeans")
    blouse = ProductFactory(title="Silk shirt", category=blouses, price="70.00")
    campaign = CampaignFactory(channel="email")

    wrong, own, parent = record(campaign, blouse, [
        " Silk shirt\nBody: Find it in our jeans edit.\nCall to action: Shop now",
        " Silk shirt\nBody: New in blouses, soft as anything.\nCall to action: Shop now",
        " Silk shirt\nBody: The easiest of our tops.\nCall to action: See more",
    ])  # fmt: skip

    assert wrong.check_outcome == "rejected"
    assert [r["message"] for r in wrong.check_results["reasons"]] == [
        'Body claims "Jeans", which the product facts do not.'
    ]
    assert own.check_outcome == parent.check_outcome == "ok"
    denim = CategoryFactory(name="Denim")
    jeans_campaign = CampaignFactory(name="Jeans week", target_category=denim)
    (about_campaign,) = record(jeans_campaign, None, [
        " Jeans week\nBody: All our denim, this week.\nCall to action: Shop now"
    ])  # fmt: skip
    assert about_campaign.check_outcome == "ok", about_campaign.check_results


def test_record_attributes_are_not_facts_and_examples_fall_back_to_other_channels():
    product = ProductFactory(
        title="Linen shirt", attributes={"clothing_id": 820, "source": "import", "colour": "white"}
    )
    facts = selectors.product_copy_facts(product_id=product.pk)
    assert facts.attributes == (("colour", "white"),)
    email = AdCopyFactory(product=ProductFactory(), channel="email", headline="By email")
    examples = services.adcopy_examples(channel="search", product_id=product.pk)
    assert [e.copy.headline for e in examples] == [email.headline]


def test_copy_without_an_offer_is_shown_examples_that_state_none_first():
    sale = CampaignFactory(discount_percent=20)
    plain = CampaignFactory(discount_percent=0)
    quiet_sale = AdCopyFactory(campaign=sale, product=ProductFactory(), headline="New in")
    quiet = AdCopyFactory(campaign=plain, product=ProductFactory(), headline="Soft merino")
    stating = [  # the newest
        AdCopyFactory(campaign=sale, product=ProductFactory(), headline=f"20% off, take {i}")
        for i in range(3)
    ]
    product = knitwear()

    without = services.adcopy_examples(channel="display", product_id=product.pk)
    with_offer = services.adcopy_examples(channel="display", product_id=product.pk, offer="20% off")

    # Newest first, except that copy without an offer sees copy stating its offer last.
    assert [e.copy.headline for e in with_offer] == [v.headline for v in stating[::-1]]
    assert [e.copy.headline for e in without] == [quiet.headline, quiet_sale.headline,
                                                  stating[2].headline]  # fmt: skip
    prompt = services.adcopy_prompt(campaign=plain, product_id=product.pk)
    assert "20% off, take 0" not in prompt and "Headline: Soft merino" in prompt


@pytest.mark.slow
def test_the_generation_job_runs_on_the_packaged_generator_and_encoder(packaged_generator):
    from ml.serving import _base_encoder

    _base_encoder.cache_clear()
    campaign = CampaignFactory(channel="email")
    job = ml_services.job_run_in_process(
        kind="adcopy_generate",
        params={"campaign": campaign.pk, "product": knitwear().pk, "variants": 2,
                "max_new_tokens": 24, "temperature": 0.0},
    )  # fmt: skip
    assert job.status == Job.Status.SUCCEEDED, job.error
    rows = list(AdCopy.objects.filter(campaign=campaign).order_by("pk"))
    assert len(rows) == 2
    assert all(row.prompt["generator"].endswith("(base generator)") for row in rows)
    # Greedy decoding writes the same text twice: the second is a duplicate of the first
    # (or both are rejected for another reason), never two passing copies of one text.
    assert not (rows[0].check_outcome != "rejected" and rows[1].check_outcome != "rejected")


def test_an_example_from_an_offer_campaign_shows_the_offer_in_its_facts():
    offer = CampaignFactory(discount_percent=10)
    AdCopyFactory(campaign=offer, product=ProductFactory(title="Slim jeans"),
                  headline="10% off jeans")  # fmt: skip
    (example,) = selectors.approved_copy_with_facts()
    assert example.facts.offer == "10% off"
    prompt = services.adcopy_prompt(campaign=CampaignFactory(), product_id=knitwear().pk)
    assert "Offer: 10% off\nHeadline: 10% off jeans" in prompt
    assert not prompt.endswith("Offer: 10% off\nHeadline:")
