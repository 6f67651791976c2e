"""Geometry of the dashboard's server-side SVG charts (no JavaScript chart library).

`weekly_stacked_bars` stacks negative, neutral and positive counts per week; `diverging_bars`
draws each aspect's negative opinions to the left of a centre line and positive ones to the
right. Both return plain coordinates that a template turns into <rect> elements.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

LABELS = ("negative", "neutral", "positive")


@dataclass(frozen=True)
class Segment:
    label: str
    value: int
    y: float
    height: float


@dataclass(frozen=True)
class Bar:
    label: str
    x: float
    width: float
    total: int
    segments: tuple[Segment, ...]
    show_label: bool

    @property
    def label_x(self) -> float:
        return round(self.x + self.width / 2, 1)


@dataclass(frozen=True)
class Tick:
    value: int
    y: float


@dataclass(frozen=True)
class StackedChart:
    width: int
    height: int
    left: int
    right: int
    top: int
    bottom: int
    bars: tuple[Bar, ...]
    ticks: tuple[Tick, ...]

    @property
    def label_y(self) -> int:
        return self.bottom + 14


def weeks_fill(
    rows: Sequence[dict], *, start: date | None = None, end: date | None = None
) -> list[dict]:
    """Weekly rows ({"week": Monday date, negative, neutral, positive, total, share_negative})
    with the weeks that had no opinions added as zeros, from `start` (or the first row) to
    `end` (or the last row), both rounded down to their Monday."""
    by_week = {row["week"]: row for row in rows}
    if not by_week and (start is None or end is None):
        return []
    first = _monday(start or min(by_week))
    last = _monday(end or max(by_week))
    filled = []
    week = first
    while week <= last:
        row = by_week.get(week)
        filled.append(dict(row) if row else weekly_row(week, 0, 0, 0))
        week += timedelta(days=7)
    return filled


def weekly_row(week: date, negative: int, neutral: int, positive: int) -> dict:
    """share_negative = negative / total (0 when total is 0)."""
    total = negative + neutral + positive
    return {
        "week": week,
        "negative": negative,
        "neutral": neutral,
        "positive": positive,
        "total": total,
        "share_negative": negative / total if total else 0.0,
    }


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def _nice_ceiling(value: int) -> int:
    """The smallest of 1, 2, 5 x 10^k that is >= value (at least 1)."""
    if value <= 1:
        return 1
    exponent = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 5, 10):
        if step * exponent >= value:
            return step * exponent
    return 10 * exponent


def _tick_count(ceiling: int) -> int:
    """How many steps divide 0..ceiling into whole, round steps (1, 2 or 5 x 10^k)."""
    for count in (5, 4, 2):
        step, remainder = divmod(ceiling, count)
        if remainder == 0 and step == _nice_ceiling(step):
            return count
    return 1


def weekly_stacked_bars(
    rows: Sequence[dict],
    *,
    width: int = 720,
    height: int = 240,
    margin: tuple[int, int, int, int] = (16, 16, 28, 44),
    max_labels: int = 13,
) -> StackedChart | None:
    """Bars of weekly rows (see weeks_fill), negative at the bottom; None when all are empty.

    The y axis runs from 0 to a rounded-up maximum weekly total (1, 2 or 5 x 10^k), with
    ticks at round steps; `margin` is (top, right, bottom, left) in pixels; at most
    `max_labels` weeks carry a date label.
    """
    if not rows or not any(row["total"] for row in rows):
        return None
    top, right, bottom, left = margin
    plot_w, plot_h = width - left - right, height - top - bottom
    ceiling = _nice_ceiling(max(row["total"] for row in rows))
    slot = plot_w / len(rows)
    bar_w = max(1.0, slot * 0.8)
    every = math.ceil(len(rows) / max_labels)
    bars = []
    for index, row in enumerate(rows):
        base = float(top + plot_h)
        segments = []
        for label in LABELS:
            value = int(row[label])
            h = plot_h * value / ceiling
            base -= h
            segments.append(Segment(label, value, round(base, 1), round(h, 1)))
        bars.append(
            Bar(
                label=row["week"].strftime("%d %b"),
                x=round(left + index * slot + (slot - bar_w) / 2, 1),
                width=round(bar_w, 1),
                total=int(row["total"]),
                segments=tuple(segments),
                show_label=index % every == 0,
            )
        )
    ticks = _tick_count(ceiling)
    tick_values = [ceiling * i // ticks for i in range(ticks + 1)]
    return StackedChart(
        width=width,
        height=height,
        left=left,
        right=width - right,
        top=top,
        bottom=top + plot_h,
        bars=tuple(bars),
        ticks=tuple(
            Tick(value, round(top + plot_h * (1 - value / ceiling), 1)) for value in tick_values
        ),
    )


@dataclass(frozen=True)
class DivergingRow:
    label: str
    negative: int
    neutral: int
    positive: int
    y: float
    negative_x: float
    negative_width: float
    positive_width: float
    centre: float

    @property
    def text_y(self) -> float:
        return round(self.y + 9, 1)

    @property
    def negative_label_x(self) -> float:
        return round(self.negative_x - 4, 1)

    @property
    def positive_label_x(self) -> float:
        return round(self.centre + self.positive_width + 4, 1)


@dataclass(frozen=True)
class DivergingChart:
    width: int
    height: int
    centre: float
    label_width: int
    bar_height: int
    rows: tuple[DivergingRow, ...]


def diverging_bars(
    rows: Sequence[dict],
    *,
    width: int = 720,
    label_width: int = 150,
    bar_height: int = 18,
    gap: int = 8,
) -> DivergingChart | None:
    """One row per {"aspect", "negative", "neutral", "positive"}: negative to the left of the
    centre, positive to the right, both scaled by the largest count; None when empty."""
    rows = [row for row in rows if row["negative"] or row["positive"] or row.get("neutral")]
    if not rows:
        return None
    # Room for the count labels on both sides of the bars.
    half = (width - label_width - 100) / 2
    centre = label_width + 50 + half
    scale = max(max(row["negative"], row["positive"]) for row in rows) or 1
    placed = []
    for index, row in enumerate(rows):
        negative_width = round(half * row["negative"] / scale, 1)
        placed.append(
            DivergingRow(
                label=str(row["aspect"]),
                negative=int(row["negative"]),
                neutral=int(row.get("neutral", 0)),
                positive=int(row["positive"]),
                y=float(index * (bar_height + gap)),
                negative_x=round(centre - negative_width, 1),
                negative_width=negative_width,
                positive_width=round(half * row["positive"] / scale, 1),
                centre=round(centre, 1),
            )
        )
    return DivergingChart(
        width=width,
        height=len(placed) * (bar_height + gap),
        centre=round(centre, 1),
        label_width=label_width,
        bar_height=bar_height,
        rows=tuple(placed),
    )
