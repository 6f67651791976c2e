"""A staff member's day in a real browser: log in, read the staff home, start a fine-tune job
and watch its progress bar reach 100% (htmx), then compare the new version in the model
registry and promote it."""

import random
import re

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import timezone

from ml.models import Job, ModelVersion
from ml.selectors import alias_get
from shop.models import Product, Review
from tests.e2e.conftest import PASSWORD, SCREENSHOTS
from tests.insights.home_fixtures import home_data

playwright = pytest.importorskip(
    "playwright.sync_api", reason="needs the playwright package (pip install playwright)"
)
expect = playwright.expect

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.celery_worker,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

HOME = "/admin/insights/home/"
# Sentences of one shape, so that only the opinion word tells the classes apart.
GOOD = ["great", "lovely", "perfect", "beautiful", "excellent", "comfortable"]
BAD = ["awful", "terrible", "cheap", "bad", "horrible", "poor"]
NOUNS = ["dress", "fabric", "fit", "colour", "jacket", "quality"]
TRAINING_ROWS = 240


@pytest.fixture
def tiny_encoder(tmp_path, settings):
    """A small BERT built from a config with the packaged tokenizer: trains in seconds."""
    from transformers import AutoTokenizer, BertConfig, BertModel

    from ml.training.loading import default_encoder_path

    tokenizer = AutoTokenizer.from_pretrained(default_encoder_path())
    config = BertConfig(
        vocab_size=tokenizer.vocab_size, hidden_size=32, num_hidden_layers=2,
        num_attention_heads=2, intermediate_size=64, max_position_embeddings=128,
    )  # fmt: skip
    directory = tmp_path / "tiny-encoder"
    BertModel(config).save_pretrained(directory)
    tokenizer.save_pretrained(directory)
    settings.ML_ENCODER = str(directory)
    settings.ML_DEVICE = "cpu"
    settings.STORAGES = {
        **settings.STORAGES,
        "ml_artifacts": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "artifacts")},
        },
    }
    return directory


@pytest.fixture
def staff_member(django_user_model):
    """Store staff who is also a data scientist: sees the store and moves model aliases."""
    user = django_user_model.objects.create_user(
        username="sam", password=PASSWORD, is_staff=True, first_name="Sam"
    )
    user.groups.add(*Group.objects.filter(name__in=["Store staff", "Data scientists"]))
    return user


def reviews_for_training(count: int) -> None:
    rng = random.Random(3)
    product = Product.objects.create(sku="SKU-TRAIN", title="Everyday dress", price="20.00")
    Review.objects.bulk_create(
        Review(
            product=product,
            rating=5 if i % 2 == 0 else 1,
            text=f"the {rng.choice(NOUNS)} is {rng.choice(GOOD if i % 2 == 0 else BAD)}",
            created_at=timezone.now(),
        )
        for i in range(count)
    )


def test_staff_member_finetunes_a_model_watches_it_and_promotes_it(
    page, shot, log_in, live_server, staff_member, tiny_encoder, celery_worker_thread
):
    home_data(now=timezone.now(), versions=1, running_job=False)
    reviews_for_training(TRAINING_ROWS)
    # Count the swaps htmx makes, to tell live updates from page loads.
    page.add_init_script(
        "window.__htmxSwaps = 0;"
        "document.addEventListener('htmx:afterSwap', () => { window.__htmxSwaps += 1; });"
    )

    # Log in: the admin index leads to the staff home.
    log_in("sam")
    expect(page.locator("#staff-home-panel")).to_be_visible()
    shot("staff-01-admin-index")
    page.get_by_role("link", name="Open the staff home").click()
    expect(page.locator("h1")).to_have_text("Staff home")
    for section in ("sales", "alerts", "jobs", "models", "campaigns", "stock"):
        expect(page.locator(f"#home-{section}")).to_be_visible()
    expect(page.locator("#home-alerts")).to_contain_text("Linen dress")
    expect(page.locator("#home-campaigns")).to_contain_text("not measured yet")
    # The charts are drawn from their JSON endpoints; their tables fold away.
    expect(page.locator("canvas[data-chart-state=drawn]")).to_have_count(3)
    expect(page.locator("details[data-chart-data][open]")).to_have_count(0)
    shot("staff-02-home")

    # Start a fine-tune job from the start-job page (the parameters form comes with htmx).
    page.locator("#home-jobs").get_by_role("link", name="Start a job").click()
    page.select_option("select[name=kind]", "finetune_classifier")
    expect(page.locator("#id_params-max_rows")).to_be_visible()
    page.fill("#id_params-max_rows", str(TRAINING_ROWS))
    page.fill("#id_params-epochs", "10")
    page.fill("#id_params-batch_size", "16")
    page.fill("#id_params-lr", "0.005")
    page.fill("#id_params-max_length", "16")
    shot("staff-03-start-job")
    page.get_by_role("button", name="Start job").click()
    expect(page.locator("ul.messagelist")).to_contain_text("is queued")
    job = Job.objects.get(kind="finetune_classifier")

    # Watch it on the staff home: the bar polls itself (htmx) until the job is done.
    page.goto(HOME)
    bar = page.locator(f"#job-progress-{job.pk} [role=progressbar]")
    expect(bar).to_be_visible()
    first_value = bar.get_attribute("aria-valuenow")
    assert int(first_value) < 100
    expect(page.locator(f"#job-status-{job.pk}")).to_have_text(re.compile("Queued|Running"))
    expect(bar).not_to_have_attribute("aria-valuenow", first_value, timeout=120_000)
    shot("staff-04-job-running")
    expect(bar).to_have_attribute("aria-valuenow", "100", timeout=240_000)
    expect(page.locator(f"#job-status-{job.pk}")).to_have_text("Succeeded")  # swapped out of band
    assert page.evaluate("window.__htmxSwaps") >= 2
    shot("staff-05-job-done")
    job.refresh_from_db()
    assert job.status == Job.Status.SUCCEEDED, job.error
    version = ModelVersion.objects.get(training_job=job)
    assert version.version == 2

    # The new version waits for promotion: compare it in the registry and promote it.
    page.reload()
    expect(page.locator("#home-models")).to_contain_text("sentiment v2")
    page.locator("#home-models").get_by_role("link", name="Model registry").click()
    page.get_by_role("link", name="sentiment", exact=True).first.click()
    expect(page.locator("h1")).to_have_text("Model registry: sentiment")
    expect(page.locator("body")).to_contain_text("v2")
    shot("staff-06-registry-task")
    promote_url = reverse("admin:ml_modelversion_promote", args=[version.pk, "champion"])
    page.click(f'a[href="{promote_url}"]')
    expect(page.locator("h1")).to_have_text("Promote sentiment v2 to champion?")
    shot("staff-07-promote-confirm")
    page.get_by_role("button", name="Yes, promote v2 to champion").click()
    expect(page.locator("ul.messagelist")).to_contain_text(
        "sentiment v2 is now the champion of sentiment.", ignore_case=True
    )
    shot("staff-08-promoted")
    assert alias_get(task="sentiment").version_id == version.pk

    page.goto(HOME)
    expect(page.locator("#home-models")).to_contain_text("Every task's champion is its newest")
    assert not [line for line in page.console_messages if "[pageerror]" in line]


def test_the_staff_home_shows_its_numbers_with_javascript_off(
    page_without_javascript, live_server, staff_member
):
    page = page_without_javascript
    home_data(now=timezone.now())
    page.goto("/admin/login/?next=" + HOME)
    page.fill("#id_username", "sam")
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(f"{live_server.url}{HOME}")

    # No pictures, but every number: the chart tables stay open, the canvases hidden.
    expect(page.locator("details[data-chart-data][open]")).to_have_count(3)
    expect(page.locator("canvas[data-chart-url]").first).to_be_hidden()
    orders_table = page.locator("#home-chart-orders table")
    expect(orders_table).to_be_visible()
    expect(orders_table.locator("tbody tr")).to_have_count(30)
    expect(page.locator("#home-sales")).to_contain_text("GBP 42.50")
    running = Job.objects.get(status=Job.Status.RUNNING)
    expect(page.locator(f"#job-progress-{running.pk}")).to_contain_text("40%")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "staff-09-home-no-javascript.png"), full_page=True)
