"""CSV exports of admin lists, safe to open in a spreadsheet.

A cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage return is a formula to Excel,
LibreOffice and Google Sheets, so a product title or review typed as `=HYPERLINK(...)` or
`=cmd|' /C calc'!A0` would run when a member of staff opens the export. Such text cells are
written with a leading apostrophe (OWASP's advice), which spreadsheets show as plain text;
numbers are written as numbers.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.http import StreamingHttpResponse
from django.utils import timezone

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value: Any) -> Any:
    """The value as a CSV cell that no spreadsheet evaluates."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float | Decimal):
        return value
    if isinstance(value, datetime):
        return timezone.localtime(value).isoformat() if timezone.is_aware(value) else value
    if isinstance(value, date):
        return value.isoformat()
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


class _Echo:
    """A file-like object whose write returns the line, for streaming csv.writer output."""

    def write(self, value: str) -> str:
        return value


def csv_lines(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield "\ufeff" + writer.writerow(header)  # the BOM makes Excel read UTF-8
    for row in rows:
        yield writer.writerow([spreadsheet_safe(cell) for cell in row])


Column = tuple[str, Callable[[Any], Any]]


def csv_download(
    *, filename: str, columns: Sequence[Column], objects: Iterable[Any]
) -> StreamingHttpResponse:
    """A streamed CSV download of `objects`, one row each, one cell per column."""
    rows = ([read(obj) for _header, read in columns] for obj in objects)
    response = StreamingHttpResponse(
        csv_lines([header for header, _read in columns], rows), content_type="text/csv"
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def export_action(columns: Sequence[Column], *, select_related: Sequence[str] = ()):
    """An admin action that downloads the selected rows as a spreadsheet-safe CSV.

    Needs only the view permission: it shows what the changelist already shows.
    """

    def export_csv(modeladmin, request, queryset):
        meta = modeladmin.model._meta
        stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
        return csv_download(
            filename=f"{meta.model_name}s-{stamp}.csv",
            columns=columns,
            objects=queryset.select_related(*select_related).iterator(chunk_size=2000),
        )

    export_csv.short_description = "Export selected as CSV"
    export_csv.allowed_permissions = ("view",)
    return export_csv


def attr(path: str) -> Callable[[Any], Any]:
    """A column reader following `a__b` through related objects (None-safe)."""

    def read(obj: Any) -> Any:
        for name in path.split("__"):
            if obj is None:
                return None
            obj = getattr(obj, name)
        return obj

    return read
