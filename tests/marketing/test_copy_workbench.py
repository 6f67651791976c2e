"""The marketer's copy workbench in the admin (htmx): generate with a progress bar, edit inline
with the checks, approve, pause, regenerate, compare with stats; who may do what."""

import pytest
from django.contrib.auth.models import Group, Permission
from django.urls import reverse

from marketing.models import AdCopy
from ml.models import Job
from tests.factories.api import JobFactory, StaffFactory
from tests.factories.marketing import AdCopyFactory, AdEventFactory, CampaignFactory
from tests.factories.shop import ProductFactory

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


def client_in(client, group: str | None):
    user = StaffFactory()
    if group:
        user.groups.add(Group.objects.get(name=group))
    client.force_login(user)
    return client


@pytest.fixture
def marketer(client):
    return client_in(client, "Marketers")


@pytest.fixture
def variant():
    return AdCopyFactory(
        product=ProductFactory(title="Merino crew jumper", price="75.00"),
        status=AdCopy.Status.DRAFT,
        headline="Soft merino",
        body="A navy crew neck.",
    )


def url(name, *args):
    return reverse(f"admin:marketing_campaign_copy{name}", args=args)


def test_the_workbench_lists_variants_with_outcome_and_reason(marketer, variant):
    AdCopyFactory(
        campaign=variant.campaign, status="draft", check_outcome="rejected",
        headline="Half price merino", rejection_reason='Headline claims "half price".',
        check_results={"reasons": [{"code": "unsupported_claim", "field": "headline",
                                    "message": 'Headline claims "half price".'}]},
    )  # fmt: skip
    page = marketer.get(url("", variant.campaign_id))
    assert page.status_code == 200
    html = page.content.decode()
    assert "Soft merino" in html and "Half price merino" in html
    assert "Headline claims &quot;half price&quot;." in html
    assert url("_generate", variant.campaign_id) in html


@pytest.mark.parametrize(
    ("group", "get", "post"),
    [("Marketers", 200, 202), ("Store staff", 200, 403), ("Data scientists", 200, 403),
     ("Support agents", 403, 403), (None, 403, 403)],
)  # fmt: skip
def test_marketers_may_generate_support_agents_may_not_even_look(client, group, get, post):
    campaign = CampaignFactory()
    client = client_in(client, group)
    assert client.get(url("", campaign.pk)).status_code == get
    response = client.post(url("_generate", campaign.pk), {"variants": 2, "placement": "home"})
    assert response.status_code == post
    assert Job.objects.filter(kind="adcopy_generate").count() == (1 if post == 202 else 0)


def test_generate_queues_a_job_and_answers_its_polling_progress_bar(marketer):
    campaign = CampaignFactory()
    response = marketer.post(
        url("_generate", campaign.pk), {"variants": 3, "placement": "home-hero"}, **HTMX
    )
    job = Job.objects.get(kind="adcopy_generate")
    assert job.params["campaign"] == campaign.pk
    assert (job.params["variants"], job.params["placement"]) == (3, "home-hero")
    html = response.content.decode()
    assert 'role="progressbar"' in html
    assert f'hx-get="{url("_job", campaign.pk, job.pk)}"' in html
    assert 'hx-trigger="every 2s"' in html


@pytest.mark.parametrize(
    "data",
    [{"variants": 0, "placement": "home"}, {"variants": 99, "placement": "home"},
     {"variants": 2, "placement": "not a slug"},
     {"variants": 2, "placement": "h", "product": 99999}],
)  # fmt: skip
def test_bad_generation_input_is_a_400_with_errors_and_nothing_queued(marketer, data):
    response = marketer.post(url("_generate", CampaignFactory().pk), data, **HTMX)
    assert response.status_code == 400
    assert "errorlist" in response.content.decode()
    assert not Job.objects.exists()


def test_a_finished_generation_stops_polling_and_reloads_the_variants(marketer):
    campaign = CampaignFactory()
    running = JobFactory(kind="adcopy_generate", params={"campaign": campaign.pk},
                         status=Job.Status.RUNNING, progress=40)  # fmt: skip
    done = JobFactory(kind="adcopy_generate", params={"campaign": campaign.pk},
                      status=Job.Status.SUCCEEDED, progress=100)  # fmt: skip
    polling = marketer.get(url("_job", campaign.pk, running.pk), **HTMX)
    assert "every 2s" in polling.content.decode() and "HX-Trigger" not in polling
    finished = marketer.get(url("_job", campaign.pk, done.pk), **HTMX)
    assert "every 2s" not in finished.content.decode()
    assert finished["HX-Trigger"] == "copy-generated"


def test_another_campaigns_or_kinds_job_is_not_shown(marketer):
    campaign = CampaignFactory()
    other = JobFactory(kind="adcopy_generate", params={"campaign": CampaignFactory().pk})
    foreign = JobFactory(kind="rating_aggregates", params={"campaign": campaign.pk})
    assert marketer.get(url("_job", campaign.pk, other.pk)).status_code == 404
    assert marketer.get(url("_job", campaign.pk, foreign.pk)).status_code == 404


def test_an_inline_edit_is_checked_again_on_save(marketer, variant):
    form = marketer.get(url("_edit", variant.campaign_id, variant.pk), **HTMX)
    assert 'name="headline"' in form.content.decode()
    response = marketer.post(
        url("_edit", variant.campaign_id, variant.pk),
        {"headline": "Merino, 50% off", "body": "A navy crew neck.", "call_to_action": "Shop"},
        **HTMX,
    )
    assert response.status_code == 200
    variant.refresh_from_db()
    assert variant.headline == "Merino, 50% off"
    assert variant.check_outcome == AdCopy.CheckOutcome.REJECTED
    assert '"50%"' in variant.rejection_reason
    assert "The checks rejected the edit" in response.content.decode()


def test_an_edit_with_bad_input_is_a_400_and_nothing_saved(marketer, variant):
    response = marketer.post(
        url("_edit", variant.campaign_id, variant.pk),
        {"headline": "", "body": "x", "call_to_action": "y" * 200},
        **HTMX,
    )
    assert response.status_code == 400
    variant.refresh_from_db()
    assert variant.headline == "Soft merino"


def test_approve_and_pause_move_the_status(marketer, variant):
    response = marketer.post(url("_status", variant.campaign_id, variant.pk, "approve"), **HTMX)
    assert response.status_code == 200
    variant.refresh_from_db()
    assert variant.status == AdCopy.Status.APPROVED
    marketer.post(url("_status", variant.campaign_id, variant.pk, "pause"), **HTMX)
    variant.refresh_from_db()
    assert variant.status == AdCopy.Status.PAUSED


def test_a_rejected_variant_cannot_be_approved(marketer, variant):
    variant.check_outcome = AdCopy.CheckOutcome.REJECTED
    variant.rejection_reason = 'Headline says "50%".'
    variant.save()
    response = marketer.post(url("_status", variant.campaign_id, variant.pk, "approve"), **HTMX)
    assert response.status_code == 409
    assert "50%" in response.content.decode()
    variant.refresh_from_db()
    assert variant.status == AdCopy.Status.DRAFT


def test_an_unknown_status_move_or_another_campaigns_variant_is_404(marketer, variant):
    assert (
        marketer.post(url("_status", variant.campaign_id, variant.pk, "delete")).status_code == 404
    )
    other = CampaignFactory()
    assert marketer.post(url("_status", other.pk, variant.pk, "approve")).status_code == 404
    assert marketer.get(url("_edit", other.pk, variant.pk)).status_code == 404


def test_regenerate_queues_one_variant_in_place_of_this_one(marketer, variant):
    response = marketer.post(url("_regenerate", variant.campaign_id, variant.pk), **HTMX)
    assert response.status_code == 202
    job = Job.objects.get(kind="adcopy_generate")
    assert job.params["replace"] == variant.pk


def test_compare_shows_variants_side_by_side_with_their_stats(marketer, variant):
    rival = AdCopyFactory(campaign=variant.campaign, headline="Warm navy merino")
    for _ in range(3):
        AdEventFactory(variant=variant)
    AdEventFactory(variant=variant, kind="click")
    AdEventFactory(variant=rival)
    response = marketer.get(
        url("_compare", variant.campaign_id), {"ids": [variant.pk, rival.pk]}, **HTMX
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "Soft merino" in html and "Warm navy merino" in html
    columns = response.context["columns"]
    assert [c["stats"]["impressions"] for c in columns] == [3, 1]
    assert [c["stats"]["clicks"] for c in columns] == [1, 0]
    assert columns[0]["stats"]["ctr"] == pytest.approx(1 / 3, abs=1e-6)
    assert all(c["stats"]["probability_best"] is not None for c in columns)
    page = marketer.get(url("_compare", variant.campaign_id), {"ids": [variant.pk, rival.pk]})
    assert page.status_code == 200 and "breadcrumbs" in page.content.decode()


@pytest.mark.parametrize("ids", [[], ["1"], ["x", "y"]])
def test_compare_needs_two_to_six_variants(marketer, variant, ids):
    response = marketer.get(url("_compare", variant.campaign_id), {"ids": ids}, **HTMX)
    assert response.status_code == 400


def test_store_staff_see_the_workbench_without_buttons(client, variant):
    client = client_in(client, "Store staff")
    html = client.get(url("", variant.campaign_id)).content.decode()
    assert "Soft merino" in html
    assert url("_generate", variant.campaign_id) not in html
    assert url("_edit", variant.campaign_id, variant.pk) not in html
    assert client.get(url("_edit", variant.campaign_id, variant.pk)).status_code == 403


def test_the_variants_list_is_its_own_htmx_target_outside_the_compare_form(marketer, variant):
    # Inside the form, it inherited the form's hx-target (a finished generation's list landed
    # in the comparison) and each row's inline edit form was nested in another form.
    html = marketer.get(url("", variant.campaign_id)).content.decode()
    variants_tag = html[html.index('<div id="variants"') :].split(">", 1)[0]
    assert 'hx-target="this"' in variants_tag
    compare_form = html[
        html.index('<form id="compare-form"') : html.index(
            "</form>", html.index('<form id="compare-form"')
        )
    ]
    assert 'id="variants"' not in compare_form
    assert f'form="compare-form" aria-label="Compare variant {variant.pk}"' in html


def test_the_campaign_list_links_each_campaign_to_its_workbench(marketer):
    campaign = CampaignFactory(name="Winter knitwear")
    response = marketer.get(reverse("admin:marketing_campaign_changelist"))
    link = f'<a href="{url("", campaign.pk)}">Ad copy of Winter knitwear</a>'
    assert link in response.content.decode()


def test_the_campaign_list_has_no_workbench_link_without_the_ad_copy_view_permission(client):
    user = StaffFactory()
    user.user_permissions.add(Permission.objects.get(codename="view_campaign"))
    client.force_login(user)
    campaign = CampaignFactory()
    response = client.get(reverse("admin:marketing_campaign_changelist"))
    assert response.status_code == 200
    assert url("", campaign.pk) not in response.content.decode()
