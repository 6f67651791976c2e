"""Paginating tables of millions of rows in the admin."""

from django.core.paginator import Paginator
from django.db import connections
from django.db.models import QuerySet
from django.utils.functional import cached_property


class EstimatedCountPaginator(Paginator):
    """Counts large PostgreSQL lists exactly up to `estimate_from` rows, and estimates above.

    A changelist counts its rows to paginate them; `SELECT COUNT(*)` of ten million events
    reads the whole table on every page view. On PostgreSQL this paginator:

    - unfiltered, takes the row count the planner expects for the list (EXPLAIN: the table's
      statistics scaled to its current size, so it holds between ANALYZE runs and before the
      first) once that is at least `estimate_from`, and sets `estimated`;
    - otherwise counts at most `estimate_from` rows (`COUNT(*)` over the list with a LIMIT,
      so a filter matching millions stops after the first `estimate_from`). Fewer is the
      exact count; that many means the list is large, and the count becomes the planner's
      estimate for the filtered list, or `estimate_from` with `at_least` set when the
      planner expects fewer (its estimates of filters can be far off, never below a count).

    Other databases are counted exactly.
    """

    estimate_from = 100_000

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.estimated = False
        self.at_least = False

    @cached_property
    def count(self) -> int:
        queryset = self.object_list
        if not isinstance(queryset, QuerySet) or connections[queryset.db].vendor != "postgresql":
            return super().count
        # Only the keys: the list's annotations (a customer's spend, an order's item count)
        # are per-row subqueries that counting must not run for every row.
        queryset = queryset.order_by().values("pk")
        estimate = None if queryset.query.where else self._planner_estimate(queryset)
        if estimate is not None and estimate >= self.estimate_from:
            self.estimated = True
            return estimate
        bounded = queryset[: self.estimate_from].count()
        if bounded < self.estimate_from:
            return bounded
        self.estimated = True
        if estimate is None:  # asked once per list: an unfiltered one was asked above
            estimate = self._planner_estimate(queryset)
        if estimate < self.estimate_from:
            self.at_least = True
            return self.estimate_from
        return estimate

    @staticmethod
    def _planner_estimate(queryset: QuerySet) -> int:
        sql, params = queryset.query.sql_with_params()
        with connections[queryset.db].cursor() as cursor:
            cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
            plan = cursor.fetchone()[0]
        return int(plan[0]["Plan"]["Plan Rows"])
