"""Admin list filters that stay fast on tables of millions of rows."""

from django.contrib import admin
from django.db import connections


class DistinctValuesFilter(admin.SimpleListFilter):
    """The distinct values of one column, like Django's AllValuesFieldListFilter, read from
    an index whose first column it is instead of a DISTINCT over the whole table.

    On PostgreSQL a recursive query jumps from each value to the next one in the index (a
    "loose index scan": one index probe per distinct value, so a few milliseconds for a
    handful of values in ten million rows, where DISTINCT reads all ten million); elsewhere
    an ordinary DISTINCT. Subclasses set `title`, `parameter_name` and `field`.
    """

    field = ""

    def lookups(self, request, model_admin):
        return [(value, value) for value in distinct_values(model_admin.model, self.field)]

    def queryset(self, request, queryset):
        if self.value() is None:
            return queryset
        return queryset.filter(**{self.field: self.value()})


def distinct_values(model, field_name: str) -> list:
    """The distinct non-null values of a column, in order (see DistinctValuesFilter)."""
    manager = model._default_manager
    connection = connections[manager.db]
    if connection.vendor != "postgresql":
        values = manager.order_by(field_name).values_list(field_name, flat=True).distinct()
        return [value for value in values if value is not None]
    quote = connection.ops.quote_name
    column = quote(model._meta.get_field(field_name).column)
    table = quote(model._meta.db_table)
    # Our own table and column names, quoted: no input reaches this statement.
    statement = f"""
        WITH RECURSIVE value_after (value) AS (
            (SELECT {column} FROM {table} WHERE {column} IS NOT NULL ORDER BY {column} LIMIT 1)
            UNION ALL
            SELECT (SELECT {column} FROM {table} WHERE {column} > value_after.value
                    ORDER BY {column} LIMIT 1)
            FROM value_after WHERE value_after.value IS NOT NULL
        )
        SELECT value FROM value_after WHERE value IS NOT NULL
    """  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(statement)
        return [row[0] for row in cursor.fetchall()]
