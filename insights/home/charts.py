"""The JSON shape of a chart, shared by the chart endpoints and the data tables under them.

A chart is `{"kind": "line" | "bar", "title", "x_label", "labels": [...], "series": [{"key",
"label", "data": [number or null], "axis": "left" | "right", "unit"}], "percent": bool}`,
null meaning no value (drawn as a gap). `insights/static/insights/charts.js` turns it into a
Chart.js configuration, and `chart_table` into the rows of the `<table>` that stands in for
the picture without JavaScript (and for anyone who would rather read the numbers).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


def chart_series(
    key: str, label: str, data: Sequence[float | int | None], *, axis: str = "left", unit: str = ""
) -> dict[str, Any]:
    return {"key": key, "label": label, "data": list(data), "axis": axis, "unit": unit}


def chart_payload(
    *,
    kind: str,
    title: str,
    x_label: str,
    labels: Sequence[str],
    series: Sequence[dict[str, Any]],
    percent: bool = False,
) -> dict[str, Any]:
    for one in series:
        if len(one["data"]) != len(labels):
            raise ValueError(f"series {one['key']!r} has {len(one['data'])} values for "
                             f"{len(labels)} labels")  # fmt: skip
    return {
        "kind": kind,
        "title": title,
        "x_label": x_label,
        "labels": list(labels),
        "series": list(series),
        "percent": percent,
    }


def chart_table(chart: dict[str, Any]) -> dict[str, Any]:
    """`{"caption", "headers": [x_label, series labels...], "rows": [[label, values...]]}`;
    percentages get a `%` sign, missing values a dash."""
    suffix = "%" if chart["percent"] else ""
    rows = []
    for index, label in enumerate(chart["labels"]):
        values = []
        for one in chart["series"]:
            value = one["data"][index]
            if value is None:
                values.append("—")
            elif isinstance(value, float):
                values.append(f"{value:,.2f}{suffix}")
            else:
                values.append(f"{value:,}{suffix}")
        rows.append([label, *values])
    return {
        "caption": chart["title"],
        "headers": [chart["x_label"], *(one["label"] for one in chart["series"])],
        "rows": rows,
    }
