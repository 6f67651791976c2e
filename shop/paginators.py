"""Paginating tables of millions of rows in the admin."""

from django.core.paginator import Paginator
from django.db import connections
from django.db.models import QuerySet
from django.utils.functional import cached_property


class EstimatedCountPaginator(Paginator):
    """Counts an unfiltered list of a large PostgreSQL table from the planner's statistics.

    A changelist counts its rows to paginate them; `SELECT COUNT(*)` of ten million events
    reads the whole table on every page view. Unfiltered, this paginator takes PostgreSQL's
    estimate instead (`pg_class.reltuples`, kept current by autovacuum's ANALYZE) once it
    says the table has at least `estimate_from` rows, and sets `estimated`; filtered
    lists, smaller tables, tables never analysed and other databases are counted exactly.
    """

    estimate_from = 100_000

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.estimated = False

    @cached_property
    def count(self) -> int:
        estimate = self._table_estimate()
        if estimate is not None and estimate >= self.estimate_from:
            self.estimated = True
            return estimate
        return super().count

    def _table_estimate(self) -> int | None:
        queryset = self.object_list
        if not isinstance(queryset, QuerySet) or queryset.query.where:
            return None
        connection = connections[queryset.db]
        if connection.vendor != "postgresql":
            return None
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT reltuples FROM pg_class WHERE oid = to_regclass(%s)",
                [connection.ops.quote_name(queryset.model._meta.db_table)],
            )
            row = cursor.fetchone()
        # reltuples is -1 for a table never vacuumed or analysed.
        return int(row[0]) if row and row[0] >= 0 else None
