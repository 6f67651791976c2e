"""Reads of behaviour clusters: each customer's activity the clustering starts from (orders,
events, reviews, texts), the latest run, its clusters and their customers.

Who is clustered: customers who allow profiling (`Customer.profiling_consent`) and were not
erased, with at least one order that turned into revenue (not cancelled or returned) or
MIN_EVENTS events in the lookback window. Clusters are written only by
`insights.services.clusters`.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import Avg, Count, F, Max, QuerySet, Sum
from django.utils import timezone

from insights.cluster_engine.features import CustomerActivity
from insights.models import BehaviourCluster, BehaviourClusterAssignment, BehaviourClusterRun
from ml import selectors as ml_selectors
from ml.models import Job
from shop.models import Category, Customer, Event, Order, OrderItem, Product, Review
from shop.selectors import NON_REVENUE_ORDER_STATUSES

CLUSTER_JOB_KIND = "behaviour_clusters"
MIN_EVENTS = 2
TEXTS_PER_CUSTOMER = 20
EXAMPLES_PER_CLUSTER = 5


def _window(as_of: date, lookback_days: int) -> tuple[datetime, datetime]:
    end = timezone.make_aware(datetime.combine(as_of + timedelta(days=1), time.min))
    return end - timedelta(days=lookback_days), end


def top_level_category_names() -> dict[int, str]:
    """Category id -> the name of its top-level ancestor (one query)."""
    rows = {pk: (name, parent) for pk, name, parent in Category.objects.values_list(
        "pk", "name", "parent_id")}  # fmt: skip
    top: dict[int, str] = {}
    for pk in rows:
        seen, current = set(), pk
        while rows[current][1] is not None and rows[current][1] in rows and current not in seen:
            seen.add(current)
            current = rows[current][1]
        top[pk] = rows[current][0]
    return top


def customer_activity_rows(*, as_of: date, lookback_days: int) -> list[CustomerActivity]:
    """Every clustered customer's activity in the `lookback_days` days up to the end of
    `as_of` (module docstring says who), in customer id order. Eight queries."""
    start, end = _window(as_of, lookback_days)
    eligible = Customer.objects.filter(profiling_consent=True, erased_at__isnull=True)
    eligible_ids = eligible.values("pk")
    orders = {
        row["customer_id"]: row
        for row in Order.objects.filter(
            customer_id__in=eligible_ids, placed_at__gte=start, placed_at__lt=end
        )
        .exclude(status__in=NON_REVENUE_ORDER_STATUSES)
        .order_by()
        .values("customer_id")
        .annotate(count=Count("pk"), spend=Sum("total"), last=Max("placed_at"))
    }
    events = Event.objects.filter(
        customer_id__in=eligible_ids, occurred_at__gte=start, occurred_at__lt=end
    ).order_by()
    kinds: dict[int, dict[str, int]] = defaultdict(dict)
    for customer_id, kind, count in (
        events.values("customer_id", "kind")
        .annotate(n=Count("pk"))
        .values_list("customer_id", "kind", "n")
    ):
        kinds[customer_id][kind] = count
    sessions = {
        row["customer_id"]: row
        for row in events.values("customer_id").annotate(
            sessions=Count("session_id", distinct=True), last=Max("occurred_at")
        )
    }
    top = top_level_category_names()
    mean_price = {
        pk: float(avg)
        for pk, avg in Product.objects.order_by()
        .values("category_id")
        .annotate(avg=Avg("price"))
        .values_list("category_id", "avg")
        if avg
    }
    items: dict[int, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    relative: dict[int, list[float]] = defaultdict(lambda: [0.0, 0.0])

    def add(customer_id: int, category_id: int, count: float, price_sum: float) -> None:
        items[customer_id][top.get(category_id, "")] += count
        if category_id in mean_price and count:
            relative[customer_id][0] += price_sum / mean_price[category_id]
            relative[customer_id][1] += count

    for customer_id, category_id, count, price_sum in (
        events.filter(kind=Event.Kind.VIEW, product__isnull=False)
        .values("customer_id", "product__category_id")
        .annotate(n=Count("pk"), price=Sum("product__price"))
        .values_list("customer_id", "product__category_id", "n", "price")
    ):
        add(customer_id, category_id, count, float(price_sum or 0))
    for customer_id, category_id, quantity, value in (
        OrderItem.objects.filter(
            order__customer_id__in=eligible_ids,
            order__placed_at__gte=start,
            order__placed_at__lt=end,
            quantity__gt=0,
        )
        .exclude(order__status__in=NON_REVENUE_ORDER_STATUSES)
        .order_by()
        .values("order__customer_id", "product__category_id")
        .annotate(q=Sum("quantity"), value=Sum(F("unit_price") * F("quantity")))
        .values_list("order__customer_id", "product__category_id", "q", "value")
    ):
        add(customer_id, category_id, quantity, float(value or 0))
    reviews = dict(
        Review.objects.filter(
            customer_id__in=eligible_ids, created_at__gte=start, created_at__lt=end
        )
        .order_by()
        .values("customer_id")
        .annotate(n=Count("pk"))
        .values_list("customer_id", "n")
    )
    activities = []
    for customer_id in sorted(set(orders) | set(sessions)):
        order = orders.get(customer_id, {})
        kind = kinds.get(customer_id, {})
        event_count = sum(kind.values())
        if not order and event_count < MIN_EVENTS:
            continue
        lasts = [v for v in (order.get("last"), sessions.get(customer_id, {}).get("last")) if v]
        relative_sum, priced = relative.get(customer_id, (0.0, 0.0))
        activities.append(
            CustomerActivity(
                customer_id=customer_id,
                orders=order.get("count", 0),
                spend=float(order.get("spend") or 0),
                sessions=sessions.get(customer_id, {}).get("sessions", 0),
                events=event_count,
                views=kind.get(Event.Kind.VIEW, 0),
                carts=kind.get(Event.Kind.ADD_TO_CART, 0),
                searches=kind.get(Event.Kind.SEARCH, 0),
                reviews=reviews.get(customer_id, 0),
                recency_days=(end - max(lasts)).total_seconds() / 86400 if lasts else lookback_days,
                category_items={k: v for k, v in items.get(customer_id, {}).items() if k},
                relative_price_sum=relative_sum,
                priced_items=int(priced),
            )
        )
    return activities


def customer_texts(
    *, customer_ids: list[int], as_of: date, lookback_days: int
) -> dict[int, list[str]]:
    """Customer id -> what they searched for and wrote in reviews in the window (distinct
    texts, most recent first, at most TEXTS_PER_CUSTOMER). Two queries."""
    start, end = _window(as_of, lookback_days)
    texts: dict[int, list[str]] = defaultdict(list)

    def add(customer_id: int, text: str) -> None:
        text = " ".join(text.split())
        bucket = texts[customer_id]
        if text and text not in bucket and len(bucket) < TEXTS_PER_CUSTOMER:
            bucket.append(text)

    for customer_id, query in (
        Event.objects.filter(
            customer_id__in=customer_ids,
            kind=Event.Kind.SEARCH,
            occurred_at__gte=start,
            occurred_at__lt=end,
        )
        .exclude(query="")
        .order_by("customer_id", "-occurred_at")
        .values_list("customer_id", "query")
        .iterator(chunk_size=5000)
    ):
        add(customer_id, query.lower())
    for customer_id, title, text in (
        Review.objects.filter(
            customer_id__in=customer_ids, created_at__gte=start, created_at__lt=end
        )
        .order_by("customer_id", "-created_at")
        .values_list("customer_id", "title", "text")
        .iterator(chunk_size=5000)
    ):
        add(customer_id, f"{title}. {text}"[:500])
    return dict(texts)


def category_names() -> list[str]:
    """Names of every category (for checking generated names); one query."""
    return list(Category.objects.order_by("name").values_list("name", flat=True))


def cluster_run_latest() -> BehaviourClusterRun | None:
    return BehaviourClusterRun.objects.select_related("job").order_by("-created_at", "-pk").first()


def cluster_list(*, run: BehaviourClusterRun) -> QuerySet[BehaviourCluster]:
    return BehaviourCluster.objects.filter(run=run).order_by("number")


def cluster_get(*, cluster_id: int) -> BehaviourCluster:
    """The cluster with its run (one query); raises BehaviourCluster.DoesNotExist."""
    return BehaviourCluster.objects.select_related("run").get(pk=cluster_id)


def cluster_customer_list(*, cluster_id: int) -> QuerySet[BehaviourClusterAssignment]:
    """The cluster's customers, nearest to its centre first."""
    return (
        BehaviourClusterAssignment.objects.filter(cluster_id=cluster_id)
        .select_related("customer")
        .order_by("distance", "customer_id")
    )


def cluster_examples(*, clusters: list[BehaviourCluster]) -> dict[int, list[Any]]:
    """Cluster id -> its EXAMPLES_PER_CLUSTER customers nearest to the centre (one query per
    cluster; a run has at most a dozen)."""
    return {
        cluster.pk: list(cluster_customer_list(cluster_id=cluster.pk)[:EXAMPLES_PER_CLUSTER])
        for cluster in clusters
    }


def cluster_job_queued() -> Job | None:
    """The oldest queued `behaviour_clusters` job, if any."""
    return (
        ml_selectors.job_list(status=Job.Status.QUEUED, kind=CLUSTER_JOB_KIND)
        .order_by("pk")
        .first()
    )


def cluster_of_customer(*, customer_id: int) -> BehaviourCluster | None:
    """The customer's behaviour cluster in the latest run, or None (one query)."""
    assignment = (
        BehaviourClusterAssignment.objects.select_related("cluster")
        .filter(customer_id=customer_id)
        .first()
    )
    return assignment.cluster if assignment else None
