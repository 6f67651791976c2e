"""A marketer's ad copy in a real browser: log in (Marketers only), find the campaign's copy
workbench from the admin index, generate variants for a product through the real job path (a
real worker runs the generation with a tiny config-built generator), watch the progress bar
until the variants appear (htmx), edit one inline (a bad edit shows its errors, a good one
passes the checks), approve it, and see that the storefront's ad endpoint serves exactly it."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone

from marketing.models import AdCopy, Campaign
from ml.models import Job
from shop.models import ApiKey
from shop.services import api_key_issue
from tests.e2e.conftest import PASSWORD
from tests.factories.shop import ProductFactory
from tests.marketing.conftest import models_configured
from tests.ml.training.conftest import build_tiny_bert, build_tiny_causal_lm

playwright = pytest.importorskip(
    "playwright.sync_api", reason="needs the playwright package (pip install playwright)"
)
expect = playwright.expect

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.celery_worker,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

PLACEMENT = "product-page"
VARIANTS = 3
HEADLINE = "Soft merino for cold mornings"
BODY = "A navy crew neck knitted from fine merino wool."
CALL_TO_ACTION = "Shop the jumper"


@pytest.fixture(scope="module")
def tiny_model_dirs(tmp_path_factory):
    """A tiny generator and encoder built from configs (seeded random weights): the real
    loading and generation code in seconds, nothing downloaded."""
    generator = build_tiny_causal_lm(tmp_path_factory.mktemp("e2e-tiny-llama"))
    encoder = build_tiny_bert(tmp_path_factory.mktemp("e2e-tiny-bert"))
    return generator, encoder


@pytest.fixture
def tiny_copy_models(settings, tmp_path, tiny_model_dirs):
    """The tiny models as the configured generator and encoder, and none left loaded from
    another test (the worker runs in this process, so it reads the same settings)."""
    generator_dir, encoder_dir = tiny_model_dirs
    with models_configured(settings, tmp_path, generator_dir, encoder_dir):
        yield


@pytest.fixture
def marketer(django_user_model):
    """Staff in the Marketers group and no other."""
    user = django_user_model.objects.create_user(
        username="maya", password=PASSWORD, is_staff=True, first_name="Maya"
    )
    user.groups.add(Group.objects.get(name="Marketers"))
    return user


@pytest.fixture
def campaign():
    """A campaign running today for one product, with no holdout: every shopper sees an ad."""
    product = ProductFactory(title="Merino crew jumper", price="75.00")
    today = timezone.localdate()
    campaign = Campaign.objects.create(
        name="Winter knitwear",
        slug="winter-knitwear",
        channel=Campaign.Channel.EMAIL,
        starts_on=today - timedelta(days=3),
        ends_on=today + timedelta(days=25),
        holdout_share=0,
    )
    campaign.target_products.add(product)
    return campaign


def test_a_marketer_generates_edits_and_approves_copy_the_storefront_then_serves(
    page, browser, shot, log_in, live_server, marketer, campaign, tiny_copy_models,
    celery_worker_thread,
):  # fmt: skip
    product = campaign.target_products.get()

    # The admin index leads a marketer to the campaigns, and each to its copy workbench.
    log_in("maya")
    work_pages = page.locator("#work-pages")
    expect(work_pages.get_by_role("link")).to_have_text(
        [
            "Ad copy by campaign",
            "Jobs",
            "Start a job",
            "Sales forecasts",
            "Reorder suggestions",
            "Price suggestions",
            "Purchase propensity",
        ]
    )
    shot("marketer-01-admin-index")
    work_pages.get_by_role("link", name="Ad copy by campaign").click()
    page.get_by_role("link", name="Ad copy of Winter knitwear").click()
    expect(page.locator("h1")).to_have_text("Ad copy of Winter knitwear")
    expect(page.locator("#variants")).to_contain_text("No variants yet.")

    # A product that does not exist: the field's error shows (400) and nothing is queued.
    page.fill("#id_variants", str(VARIANTS))
    page.fill("#id_product", str(product.pk + 1000))
    page.fill("#id_placement", PLACEMENT)
    page.get_by_role("button", name="Generate").click()
    expect(page.locator("#generate-errors")).to_contain_text("product: No such product.")
    assert not Job.objects.exists()

    # Generate variants for the product: a job on the real worker, its bar polls (htmx).
    page.fill("#id_product", str(product.pk))
    page.get_by_role("button", name="Generate").click()
    bar = page.locator("#generation [role=progressbar]")
    expect(bar).to_be_visible()
    job = Job.objects.get(kind="adcopy_generate")
    assert job.params["campaign"] == campaign.pk and job.params["product"] == product.pk
    shot("marketer-02-generating")
    rows = page.locator("#variants tr.variant-row")
    expect(rows).to_have_count(VARIANTS, timeout=180_000)  # swapped in when the job ends
    expect(bar).to_have_attribute("aria-valuenow", "100")
    job.refresh_from_db()
    assert job.status == Job.Status.SUCCEEDED, job.error
    variants = list(AdCopy.objects.filter(campaign=campaign).order_by("pk"))
    assert [v.pk for v in variants] == sorted(job.result["adcopy_ids"])
    assert {(v.source, v.status, v.product_id) for v in variants} == {
        (AdCopy.Source.GENERATED, AdCopy.Status.DRAFT, product.pk)
    }
    shot("marketer-03-variants")

    # Edit the first variant inline: a blank headline is refused with the form's errors (400)
    # and nothing saved; the marketer's own words pass the checks.
    chosen = variants[0]
    row = page.locator(f"#variant-{chosen.pk}")
    row.get_by_role("button", name="Edit").click()
    expect(row.locator("form")).to_be_visible()
    row.locator("[name=headline]").fill("   ")  # the browser's own check lets spaces through
    row.get_by_role("button", name="Save and check").click()
    expect(row.locator(".errorlist")).to_contain_text("This field is required.")
    chosen.refresh_from_db()
    assert chosen.headline == variants[0].headline
    row.locator("[name=headline]").fill(HEADLINE)
    row.locator("[name=body]").fill(BODY)
    row.locator("[name=call_to_action]").fill(CALL_TO_ACTION)
    shot("marketer-04-editing")
    row.get_by_role("button", name="Save and check").click()
    expect(row).to_contain_text("Saved; the checks passed.")
    expect(row).to_contain_text(HEADLINE)
    chosen.refresh_from_db()
    assert (chosen.headline, chosen.body, chosen.call_to_action) == (HEADLINE, BODY, CALL_TO_ACTION)
    assert chosen.check_outcome == AdCopy.CheckOutcome.OK, chosen.rejection_reason

    # Approve it: the row says so, and nothing else changed status.
    row.get_by_role("button", name="Approve").click()
    expect(row.locator("td").nth(3)).to_have_text("Approved")
    expect(row.get_by_role("button", name="Pause")).to_be_visible()
    shot("marketer-05-approved")
    assert list(AdCopy.objects.filter(status=AdCopy.Status.APPROVED)) == [chosen]

    # Side by side with another variant (the ticked boxes belong to the compare form).
    rival = variants[1]
    page.get_by_label(f"Compare variant {chosen.pk}").check()
    page.get_by_label(f"Compare variant {rival.pk}").check()
    page.get_by_role("button", name="Compare the ticked variants").click()
    comparison = page.locator("#copy-compare")
    columns = comparison.locator("thead th[scope=col]")
    expect(columns).to_have_count(2)
    assert sorted(columns.all_text_contents()) == sorted(
        [f"Variant {chosen.pk}", f"Variant {rival.pk}"]
    )
    expect(comparison).to_contain_text(HEADLINE)
    shot("marketer-06-compare")

    # The storefront (its own API key, no session) is served exactly the approved variant.
    _key, raw_key = api_key_issue(
        name="storefront", scopes=[ApiKey.Scope.ADS_READ], created_by=None
    )
    storefront = browser.new_context(base_url=live_server.url)
    try:
        response = storefront.request.get(
            f"/api/v1/ads/{PLACEMENT}/?product={product.pk}&session=shopper-1",
            headers={"Authorization": f"Api-Key {raw_key}"},
        )
        assert response.status == 200, response.text()
        served = response.json()
    finally:
        storefront.close()
    assert served["served"] == "variant"
    assert served["campaign"] == campaign.pk
    variant = served["variant"]
    assert (variant["id"], variant["headline"], variant["body"], variant["call_to_action"]) == (
        chosen.pk, HEADLINE, BODY, CALL_TO_ACTION,
    )  # fmt: skip
    assert not [line for line in page.console_messages if "[pageerror]" in line]
