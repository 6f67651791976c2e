"""How the registry pages compare model versions: flat metric names, the task's main metric,
deltas between two versions, and the geometry of the metric chart.

Pure functions without Django, so the admin pages and the API present metrics the same way.
A version's `metrics` look like `{"validation": {...}, "test": {"accuracy": .., ...}}` for
classifiers, or flat numbers such as `{"perplexity_after": ..}` for LoRA generators.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

# The metric that sums up a version, in order of preference: the first one any version of
# the task reports is the task's main metric.
MAIN_METRIC_PREFERENCE = (
    "test.macro_f1",
    "test.accuracy",
    "test.f1",
    "perplexity_after",
    "heldout_loss_after",
    "validation.macro_f1",
    "validation.accuracy",
    "macro_f1",
    "accuracy",
    "f1",
)
# Splits whose metrics the version table shows, in order of preference.
TABLE_SPLITS = ("test", "validation")
# Name fragments of metrics where a lower value is better.
LOWER_IS_BETTER = ("loss", "perplexity", "error", "mae", "mse", "rmse", "mape", "wer", "latency")
# Horizontal gap (px) between the y axis and the first point, and the last point and the edge.
POINT_INSET = 24
# More points than this and the chart labels only some of them.
MAX_POINT_LABELS = 20
# A change smaller than this counts as no change.
EPSILON = 1e-9


@dataclass(frozen=True)
class MetricDelta:
    """One row of a comparison: `verdict` is better, worse, same, new or gone."""

    name: str
    current: float | None
    candidate: float | None
    delta: float | None
    verdict: str


@dataclass(frozen=True)
class ChartPoint:
    label: str
    value: float
    x: float
    y: float
    highlight: bool
    show_label: bool = True

    @property
    def label_y(self) -> float:
        return self.y - 12

    @property
    def value_label(self) -> str:
        return metric_format(self.value)


@dataclass(frozen=True)
class ChartTick:
    value: float
    y: float

    @property
    def label(self) -> str:
        return metric_format(self.value)


@dataclass(frozen=True)
class LineChart:
    """Coordinates of an SVG line chart; `points_attr` is the polyline's `points` value."""

    width: int
    height: int
    left: int
    right: int
    top: int
    bottom: int
    points: tuple[ChartPoint, ...]
    ticks: tuple[ChartTick, ...]

    @property
    def points_attr(self) -> str:
        return " ".join(f"{point.x:.1f},{point.y:.1f}" for point in self.points)


def metric_format(value: float | None, *, signed: bool = False) -> str:
    """A metric for people: 4 decimals below 100 (scores, losses), 1 above (perplexities)."""
    if value is None:
        return "—"
    sign = "+" if signed else ""
    if abs(value) >= 100:
        return f"{value:{sign},.1f}"
    return f"{value:{sign}.4f}"


def metrics_flatten(metrics: Mapping[str, Any] | None) -> dict[str, float]:
    """Numbers of a metrics dict under dotted names: `{"test": {"accuracy": 0.9}}` gives
    `{"test.accuracy": 0.9}`. Booleans, strings and non-finite numbers are left out."""
    flat: dict[str, float] = {}

    def walk(prefix: str, value: Any) -> None:
        if isinstance(value, Mapping):
            for key, inner in value.items():
                walk(f"{prefix}.{key}" if prefix else str(key), inner)
        elif isinstance(value, int | float) and not isinstance(value, bool):
            if math.isfinite(value):
                flat[prefix] = float(value)

    walk("", metrics or {})
    return flat


def metric_higher_is_better(name: str) -> bool:
    leaf = name.rsplit(".", 1)[-1].lower()
    return not any(fragment in leaf for fragment in LOWER_IS_BETTER)


def metric_main(flat_metrics: Sequence[Mapping[str, float]]) -> str | None:
    """The task's main metric: the first preferred name any version reports, else the name
    most versions report (alphabetically first on a tie), else None."""
    present: dict[str, int] = {}
    for metrics in flat_metrics:
        for name in metrics:
            present[name] = present.get(name, 0) + 1
    for name in MAIN_METRIC_PREFERENCE:
        if name in present:
            return name
    if not present:
        return None
    return min(present, key=lambda name: (-present[name], name))


def metric_table_columns(
    flat_metrics: Sequence[Mapping[str, float]], main: str | None
) -> list[str]:
    """Metric columns of the version table: the main metric, then the other metrics of the
    preferred split (test, else validation), else every other metric."""
    names = sorted({name for metrics in flat_metrics for name in metrics})
    for split in TABLE_SPLITS:
        in_split = [name for name in names if name.startswith(f"{split}.")]
        if in_split:
            names = in_split
            break
    return ([main] if main else []) + [name for name in names if name != main]


def metric_compare(
    current: Mapping[str, float] | None, candidate: Mapping[str, float]
) -> list[MetricDelta]:
    """Every metric of either version with the candidate's change against the current one:
    delta = candidate - current; better means a rise (or a fall, for losses and the like)."""
    current = current or {}
    rows = []
    for name in sorted(set(current) | set(candidate)):
        old, new = current.get(name), candidate.get(name)
        if old is None or new is None:
            rows.append(MetricDelta(name, old, new, None, "new" if old is None else "gone"))
            continue
        delta = new - old
        if abs(delta) <= EPSILON:
            verdict = "same"
        elif (delta > 0) == metric_higher_is_better(name):
            verdict = "better"
        else:
            verdict = "worse"
        rows.append(MetricDelta(name, old, new, delta, verdict))
    return rows


def line_chart(
    values: Sequence[tuple[str, float, bool]],
    *,
    width: int = 640,
    height: int = 220,
    margin: tuple[int, int, int, int] = (24, 16, 32, 56),
    ticks: int = 4,
) -> LineChart | None:
    """Place `(label, value, highlight)` points left to right on an SVG canvas.

    The y axis spans the values' range (padded by 10%, or +-0.5 around a single value), with
    `ticks + 1` evenly spaced ticks; `margin` is (top, right, bottom, left) in pixels.
    Returns None when there is nothing to draw.
    """
    if not values:
        return None
    top, right, bottom, left = margin
    low = min(value for _label, value, _highlight in values)
    high = max(value for _label, value, _highlight in values)
    pad = (high - low) * 0.1 if high > low else max(abs(high) * 0.1, 0.5)
    low, high = low - pad, high + pad
    plot_w, plot_h = width - left - right, height - top - bottom

    def y_of(value: float) -> float:
        return top + plot_h * (1 - (value - low) / (high - low))

    # Points sit inset from the axes so the first and last labels stay clear of them.
    inset = min(POINT_INSET, plot_w / 4)
    step = (plot_w - 2 * inset) / (len(values) - 1) if len(values) > 1 else 0.0
    # Past MAX_POINT_LABELS points only every n-th one (and the highlighted) is labelled.
    label_every = math.ceil(len(values) / MAX_POINT_LABELS)
    points = tuple(
        ChartPoint(
            label=label,
            value=value,
            x=round(left + (inset + index * step if len(values) > 1 else plot_w / 2), 1),
            y=round(y_of(value), 1),
            highlight=highlight,
            show_label=highlight or index % label_every == 0 or index == len(values) - 1,
        )
        for index, (label, value, highlight) in enumerate(values)
    )
    tick_values = [low + (high - low) * i / ticks for i in range(ticks + 1)]
    return LineChart(
        width=width,
        height=height,
        left=left,
        right=width - right,
        top=top,
        bottom=height - bottom,
        points=points,
        ticks=tuple(ChartTick(value=value, y=round(y_of(value), 1)) for value in tick_values),
    )


def data_rows(summary: Mapping[str, Any] | None) -> int | None:
    """How many rows a version was trained and evaluated on, from its data summary:
    `rows` (a number, or a dict of numbers per split), else the sum of the `*_rows` numbers."""
    summary = summary or {}
    rows = summary.get("rows")
    if isinstance(rows, int) and not isinstance(rows, bool):
        return rows
    if isinstance(rows, Mapping):
        counts = [value for value in rows.values() if isinstance(value, int)]
        return sum(counts) if counts else None
    counts = [
        value
        for key, value in summary.items()
        if str(key).endswith("_rows") and isinstance(value, int) and not isinstance(value, bool)
    ]
    return sum(counts) if counts else None
