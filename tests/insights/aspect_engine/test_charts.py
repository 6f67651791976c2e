from datetime import date

import pytest

from insights.aspect_engine.charts import (
    diverging_bars,
    weekly_row,
    weekly_stacked_bars,
    weeks_fill,
)


def test_missing_weeks_are_filled_with_zeros_from_monday_to_monday():
    rows = [weekly_row(date(2026, 1, 5), 1, 0, 2), weekly_row(date(2026, 1, 19), 0, 1, 0)]

    filled = weeks_fill(rows, start=date(2025, 12, 31), end=date(2026, 1, 21))

    assert [r["week"] for r in filled] == [
        date(2025, 12, 29),
        date(2026, 1, 5),
        date(2026, 1, 12),
        date(2026, 1, 19),
    ]
    assert [r["total"] for r in filled] == [0, 3, 0, 1]
    assert filled[1]["share_negative"] == 1 / 3


def test_stacked_bars_stack_negative_at_the_bottom_and_scale_to_a_round_maximum():
    rows = [weekly_row(date(2026, 1, 5), 2, 1, 4), weekly_row(date(2026, 1, 12), 0, 0, 0)]

    chart = weekly_stacked_bars(rows, height=216, margin=(16, 16, 0, 40))

    first = chart.bars[0]
    assert [t.value for t in chart.ticks] == [0, 2, 4, 6, 8, 10]  # ceiling 10 for a total of 7
    negative, neutral, positive = first.segments
    assert negative.y + negative.height == chart.bottom
    assert neutral.y + neutral.height == negative.y
    assert positive.height == 2 * negative.height
    assert chart.bars[1].total == 0


@pytest.mark.parametrize(
    ("total", "ticks"),
    [
        (1, [0, 1]),
        (2, [0, 1, 2]),
        (17, [0, 5, 10, 15, 20]),
        (43, [0, 10, 20, 30, 40, 50]),
        (180, [0, 50, 100, 150, 200]),
        (420, [0, 100, 200, 300, 400, 500]),
    ],
)
def test_axis_ticks_are_round_numbers(total, ticks):
    chart = weekly_stacked_bars([weekly_row(date(2026, 1, 5), 0, 0, total)])
    assert [t.value for t in chart.ticks] == ticks


def test_an_empty_period_draws_no_chart():
    assert weekly_stacked_bars([weekly_row(date(2026, 1, 5), 0, 0, 0)]) is None
    assert diverging_bars([]) is None


def test_diverging_bars_put_negative_left_and_positive_right_of_the_centre():
    chart = diverging_bars(
        [
            {"aspect": "fit/size", "negative": 10, "neutral": 1, "positive": 5},
            {"aspect": "delivery", "negative": 0, "neutral": 0, "positive": 2},
        ]
    )

    fit, delivery = chart.rows
    assert fit.negative_x + fit.negative_width == chart.centre
    assert fit.positive_width == fit.negative_width / 2
    assert delivery.negative_width == 0
    assert delivery.y > fit.y
