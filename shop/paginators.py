"""Paginating tables of millions of rows in the admin."""

from django.core.paginator import Paginator
from django.db import connections
from django.db.models import QuerySet
from django.utils.functional import cached_property


class EstimatedCountPaginator(Paginator):
    """Counts an unfiltered list of a large PostgreSQL table from the planner's estimate.

    A changelist counts its rows to paginate them; `SELECT COUNT(*)` of ten million events
    reads the whole table on every page view. Unfiltered, this paginator takes the row count
    PostgreSQL's planner expects for the list (EXPLAIN: the table's statistics scaled to its
    current size, so it holds between ANALYZE runs and before the first) once that is at
    least `estimate_from`, and sets `estimated`; filtered lists (whose estimates can be far
    off), smaller tables and other databases are counted exactly.
    """

    estimate_from = 100_000

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.estimated = False

    @cached_property
    def count(self) -> int:
        estimate = self._planner_estimate()
        if estimate is not None and estimate >= self.estimate_from:
            self.estimated = True
            return estimate
        return super().count

    def _planner_estimate(self) -> int | None:
        queryset = self.object_list
        if not isinstance(queryset, QuerySet) or queryset.query.where:
            return None
        connection = connections[queryset.db]
        if connection.vendor != "postgresql":
            return None
        sql, params = queryset.order_by().values("pk").query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
            plan = cursor.fetchone()[0]
        return int(plan[0]["Plan"]["Plan Rows"])
