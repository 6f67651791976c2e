"""Reads of search insights: the search events and product texts the run starts from, the
latest run and its topics.

Searches are aggregates over every shopper (signed in or not): no topic names a customer.
Topics are written only by `insights.services.search_insights`.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.db.models import QuerySet

from insights.models import SearchInsightRun, SearchTopic
from ml import selectors as ml_selectors
from ml.models import Job
from shop.models import Event, Product

SEARCH_JOB_KIND = "search_insights"


def search_query_rows(*, start: datetime, end: datetime) -> Iterable[tuple[str, datetime]]:
    """(query, occurred_at) of every search with a query in [start, end), oldest first."""
    return (
        Event.objects.filter(kind=Event.Kind.SEARCH, occurred_at__gte=start, occurred_at__lt=end)
        .exclude(query="")
        .order_by("occurred_at", "pk")
        .values_list("query", "occurred_at")
        .iterator(chunk_size=5000)
    )


def product_search_texts() -> list[str]:
    """ "title — category" of every active product, what a search can find (one query)."""
    return [
        f"{title} — {category or ''}".strip(" —")
        for title, category in Product.objects.filter(is_active=True)
        .order_by("pk")
        .values_list("title", "category__name")
    ]


def search_run_latest() -> SearchInsightRun | None:
    return SearchInsightRun.objects.select_related("job").order_by("-created_at", "-pk").first()


def search_topic_list(
    *, run: SearchInsightRun, kind: str | None = None, rising: bool | None = None
) -> QuerySet[SearchTopic]:
    """The run's topics, largest volume first; optionally of one kind, or rising only
    (then the fastest growing first)."""
    topics = SearchTopic.objects.filter(run=run)
    if kind:
        topics = topics.filter(kind=kind)
    if rising is not None:
        topics = topics.filter(rising=rising)
    if rising:
        return topics.order_by("-growth", "-volume", "pk")
    return topics.order_by("-volume", "pk")


def search_job_queued() -> Job | None:
    """The oldest queued `search_insights` job, if any."""
    return (
        ml_selectors.job_list(status=Job.Status.QUEUED, kind=SEARCH_JOB_KIND).order_by("pk").first()
    )
