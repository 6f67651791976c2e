"""The admin side: the sentiment dashboard, the product panel, and the alert and aspect pages."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from insights.models import Aspect, AspectMention, ProductReviewSummary, SentimentAlert
from insights.services import aspects as services
from ml.models import Job
from tests.factories.api import StaffFactory, UserFactory
from tests.factories.shop import ProductFactory, ReviewFactory

pytestmark = pytest.mark.django_db

DASHBOARD = "/admin/insights/dashboard/"


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def staff_with(*codenames: str) -> Client:
    user = StaffFactory()
    for codename in codenames:
        app_label, name = codename.split(".")
        user.user_permissions.add(
            Permission.objects.get(codename=name, content_type__app_label=app_label)
        )
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def admin_client_():
    user = UserFactory(is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def reviewed_product():
    """A product whose reviews turned negative on fit over the last weeks."""
    product = ProductFactory(title="Linen dress")
    fit = Aspect.objects.get(name="fit/size")
    now = timezone.now()
    for day in range(0, 120, 3):
        negative = day < 21 and day % 2 == 0
        review = ReviewFactory(
            product=product,
            rating=1 if negative else 5,
            text="It runs small." if negative else "Fits well.",
            created_at=now - timedelta(days=day),
        )
        AspectMention.objects.create(
            review=review,
            aspect=fit,
            sentence=review.text,
            sentence_index=0,
            label="negative" if negative else "positive",
            similarity=0.8,
        )
    return product


def test_the_dashboard_draws_weekly_sentiment_aspects_and_trending_products(
    admin_client_, reviewed_product
):
    today = timezone.localdate()
    SentimentAlert.objects.create(
        product=reviewed_product, window_start=today, window_end=today, recent_negative=4,
        recent_total=7, baseline_negative=0, baseline_total=33, statistic=5.0, p_value=0.0001,
        test="Fisher exact",
    )  # fmt: skip

    response = admin_client_.get(DASHBOARD)

    assert response.status_code == 200
    html = response.content.decode()
    assert "<svg" in html and 'class="insights-negative"' in html
    assert "Reviews per week by sentiment" in html
    assert "fit/size" in html
    assert "Linen dress" in html  # in the open alerts
    assert '<script src="' in html and "htmx" in html and "//cdn" not in html.lower()
    assert f'hx-get="{DASHBOARD}"' in html  # the filters swap the body
    assert response.context["totals"]["total"] == 40  # every review is within 26 weeks
    assert response.context["aspect_chart"].rows[0].label == "fit/size"


def test_a_filter_change_swaps_only_the_dashboard_body(admin_client_, reviewed_product):
    response = admin_client_.get(DASHBOARD, {"weeks": "8"}, HTTP_HX_REQUEST="true")

    assert response.status_code == 200
    assert [t.name for t in response.templates][0] == "insights/dashboard_body.html"
    assert response.context["weeks"] == 8
    assert "in the last 8 weeks" in response.content.decode()


def test_the_dashboard_of_an_empty_store_says_there_is_nothing_yet(admin_client_):
    response = admin_client_.get(DASHBOARD)

    html = response.content.decode()
    assert response.status_code == 200
    assert "No reviews in this period." in html
    assert "No aspect opinions yet" in html
    assert "No open alerts." in html


def test_the_dashboard_needs_staff_who_may_view_reviews():
    anonymous = Client().get(DASHBOARD)
    assert anonymous.status_code == 302 and "/admin/login/" in anonymous["Location"]
    assert staff_with().get(DASHBOARD).status_code == 403
    assert staff_with("shop.view_review").get(DASHBOARD).status_code == 200


def test_the_product_panel_shows_sentiment_aspects_evidence_and_summary(
    admin_client_, reviewed_product
):
    services.product_summary_build(product_id=reviewed_product.pk)

    response = admin_client_.get(
        reverse("insights:product-panel", args=[reviewed_product.pk]), HTTP_HX_REQUEST="true"
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert "40 reviews" in html
    assert "“It runs small.”" in html
    assert "fit/size: &quot;Fits well.&quot;" in html  # the pro of the summary
    assert "<svg" in html
    assert response.context["counts"] == {
        "negative": 4, "neutral": 0, "positive": 36, "total": 40,
    }  # fmt: skip


def test_the_product_panel_of_a_product_without_reviews_renders(admin_client_):
    product = ProductFactory()

    response = admin_client_.get(reverse("insights:product-panel", args=[product.pk]))

    assert response.status_code == 200
    assert "No reviews yet." in response.content.decode()


def test_the_product_panel_of_an_unknown_product_is_a_404(admin_client_):
    assert admin_client_.get("/admin/insights/product/999999/panel/").status_code == 404


def test_the_product_change_form_template_loads_the_panel_with_htmx(admin_client_, monkeypatch):
    from shop.admin import ProductAdmin

    # What shop.admin.ProductAdmin sets to show the panel on the product page.
    monkeypatch.setattr(
        ProductAdmin, "change_form_template", "insights/aspects/product_change_form.html"
    )
    product = ProductFactory()

    response = admin_client_.get(reverse("admin:shop_product_change", args=[product.pk]))

    assert response.status_code == 200
    assert f'hx-get="/admin/insights/product/{product.pk}/panel/"' in response.content.decode()


def test_staff_acknowledge_alerts_with_an_admin_action(admin_client_):
    alert = SentimentAlert.objects.create(
        product=ProductFactory(), window_start=timezone.localdate(),
        window_end=timezone.localdate(), recent_negative=4, recent_total=7, baseline_negative=0,
        baseline_total=33, statistic=5.0, p_value=0.0001, test="Fisher exact",
        evidence=[{"review_id": ReviewFactory().pk, "sentence": "It runs small."}],
    )  # fmt: skip
    changelist = reverse("admin:insights_sentimentalert_changelist")

    page = admin_client_.get(changelist)
    response = admin_client_.post(
        changelist, {"action": "acknowledge", "_selected_action": [alert.pk]}
    )

    assert "Review sentiment dashboard" in page.content.decode()
    assert response.status_code == 302
    alert.refresh_from_db()
    assert alert.status == "acknowledged" and alert.resolved_by is not None
    detail = admin_client_.get(reverse("admin:insights_sentimentalert_change", args=[alert.pk]))
    assert "“It runs small.”" in detail.content.decode()


def test_staff_edit_an_aspect_and_queue_a_re_extraction(admin_client_):
    aspect = Aspect.objects.get(name="delivery")
    change = reverse("admin:insights_aspect_change", args=[aspect.pk])

    response = admin_client_.post(
        change,
        {
            "name": "delivery",
            "description": "Shipping.",
            "examples": "Fast.\nSlow.",
            "is_active": "on",
        },
    )
    queued = admin_client_.post(
        reverse("admin:insights_aspect_changelist"),
        {"action": "reextract_all", "_selected_action": [aspect.pk]},
    )

    assert response.status_code == 302
    aspect.refresh_from_db()
    assert aspect.example_list == ["Fast.", "Slow."]
    assert queued.status_code == 302
    job = Job.objects.get()
    assert (job.kind, job.params) == ("aspects_extract", {"rebuild": True})


def test_the_summary_and_mention_pages_render(admin_client_, reviewed_product):
    services.product_summary_build(product_id=reviewed_product.pk)

    assert admin_client_.get(reverse("admin:insights_aspectmention_changelist")).status_code == 200
    summaries = admin_client_.get(reverse("admin:insights_productreviewsummary_changelist"))
    assert summaries.status_code == 200
    summary = ProductReviewSummary.objects.get()
    detail = reverse("admin:insights_productreviewsummary_change", args=[summary.pk])
    assert admin_client_.get(detail).status_code == 200
