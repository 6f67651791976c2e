"""A store with something in every section of the staff home (shared by its page tests and
the browser tests)."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.utils import timezone

from insights.models import SentimentAlert
from marketing.models import Campaign
from ml.models import Job, ModelAlias, ModelVersion
from shop.models import Order, OrderItem, Product
from tests.factories.shop import CustomerFactory, OrderFactory, ProductFactory, ReviewFactory


@dataclass
class HomeData:
    fast_seller: Product
    alert: SentimentAlert
    campaign: Campaign
    job: Job | None
    candidate: ModelVersion


def local_midnight(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def order(*, placed_at: datetime, total: str, status=Order.Status.PAID, items=()) -> Order:
    placed = OrderFactory(
        customer=CustomerFactory(), placed_at=placed_at, total=Decimal(total), status=status
    )
    for product, quantity in items:
        OrderItem.objects.create(
            order=placed, product=product, quantity=quantity, unit_price=product.price
        )
    return placed


def model_version(task: str, number: int, macro_f1: float) -> ModelVersion:
    return ModelVersion.objects.create(
        task=task,
        version=number,
        base_model="tiny-bert",
        artifact_path=f"{task}/v{number}-test",
        sha256="0" * 64,
        metrics={"test": {"macro_f1": macro_f1}},
    )


def home_data(*, now: datetime, versions: int = 2, running_job: bool = True) -> HomeData:
    """Today (up to `now`): 2 orders (30.00 and 12.50) and a cancelled one; the same weekday
    last week: 1 order (20.00) before this time of day and 1 (100.00) after; a fast seller
    with 3 in stock that sold 12 in the last 4 weeks (7 days of cover); an open alert, a
    running campaign, a running job (unless not `running_job`) and a finished one; and
    `versions` versions of task "sentiment" (placeholders without files) with v1 the
    champion."""
    today = timezone.localdate(now)
    elapsed = now - local_midnight(today)
    fast = ProductFactory(title="Linen dress", sku="LINEN-1", stock=3, price=Decimal("10.00"))
    slow = ProductFactory(title="Wool coat", sku="WOOL-1", stock=500, price=Decimal("50.00"))
    order(placed_at=now - elapsed / 2, total="30.00", items=[(fast, 12)])
    order(placed_at=now - elapsed / 4, total="12.50", items=[(slow, 1)])
    order(placed_at=now - elapsed / 3, total="99.00", status=Order.Status.CANCELLED)
    last_week = local_midnight(today - timedelta(days=7))
    order(placed_at=last_week + elapsed / 2, total="20.00")
    order(placed_at=last_week + elapsed + (timedelta(days=1) - elapsed) / 2, total="100.00")
    alert = SentimentAlert.objects.create(
        product=fast, window_start=today, window_end=today, recent_negative=4, recent_total=8,
        baseline_negative=1, baseline_total=20, statistic=5.0, p_value=0.001, test="Fisher exact",
    )  # fmt: skip
    ReviewFactory(product=fast, rating=1, created_at=now - elapsed / 2)
    ReviewFactory(product=fast, rating=5, created_at=now - elapsed / 2)
    campaign = Campaign.objects.create(
        name="Spring linen", slug="spring-linen", channel=Campaign.Channel.EMAIL,
        starts_on=today - timedelta(days=3), ends_on=today + timedelta(days=4),
    )  # fmt: skip
    Campaign.objects.create(
        name="Winter sale", slug="winter-sale", channel=Campaign.Channel.SEARCH,
        starts_on=today - timedelta(days=60), ends_on=today - timedelta(days=30),
    )  # fmt: skip
    job = None
    if running_job:
        job = Job.objects.create(
            kind="rating_aggregates", status=Job.Status.RUNNING, progress=40,
            progress_message="Counting ratings",
        )  # fmt: skip
    Job.objects.create(kind="rating_aggregates", status=Job.Status.SUCCEEDED, progress=100)
    created = [model_version("sentiment", n, 0.6 + n / 100) for n in range(1, versions + 1)]
    ModelAlias.objects.create(task="sentiment", name=ModelAlias.Name.CHAMPION, version=created[0])
    return HomeData(
        fast_seller=fast, alert=alert, campaign=campaign, job=job, candidate=created[-1]
    )
