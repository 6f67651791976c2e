"""The (x, t_x, T, m_x) summary builder on a few hand-written transactions."""

import datetime as dt

import pytest

from insights.customer_engine.btyd import CustomerSummary, customer_summaries, summary_arrays

CALIBRATION_END = dt.date(2024, 3, 31)
ROWS = [
    ("a", dt.date(2024, 1, 1), 10.0),
    ("a", dt.date(2024, 1, 1), 5.0),  # same day as the first order: one transaction of 15
    ("b", dt.date(2024, 3, 1), 40.0),
    ("a", dt.date(2024, 1, 15), 20.0),
    ("a", dt.datetime(2024, 2, 12, 9, 30, tzinfo=dt.UTC), 30.0),
    ("a", dt.date(2024, 4, 1), 7.0),  # holdout
    ("a", dt.date(2024, 5, 31), 8.0),  # after the holdout end
    ("c", dt.date(2024, 4, 5), 12.0),  # first purchase after calibration: not in the cohort
]


def test_weekly_summaries_group_same_day_purchases_and_average_repeat_spend():
    summaries = customer_summaries(ROWS, calibration_end=CALIBRATION_END)
    assert summaries == [
        CustomerSummary("a", 2, 42 / 7, 90 / 7, 25.0, dt.date(2024, 1, 1)),
        CustomerSummary("b", 0, 0.0, 30 / 7, 0.0, dt.date(2024, 3, 1)),
    ]


def test_daily_periods_count_days():
    a, b = customer_summaries(ROWS, calibration_end=CALIBRATION_END, period="days")
    assert (a.frequency, a.recency, a.T) == (2, 42.0, 90.0)
    assert (b.frequency, b.recency, b.T) == (0, 0.0, 30.0)


def test_holdout_counts_purchase_days_after_calibration_up_to_its_end():
    a, b = customer_summaries(
        ROWS, calibration_end=CALIBRATION_END, holdout_end=dt.date(2024, 4, 30)
    )
    assert (a.holdout_frequency, a.holdout_duration) == (1, 30 / 7)
    assert (b.holdout_frequency, b.holdout_duration) == (0, 30 / 7)


def test_a_purchase_on_the_calibration_end_day_counts_in_calibration():
    rows = [("d", dt.date(2024, 3, 1), 1.0), ("d", CALIBRATION_END, 2.0)]
    [d] = customer_summaries(rows, calibration_end=CALIBRATION_END, period="days")
    assert (d.frequency, d.recency, d.T, d.monetary_value) == (1, 30.0, 30.0, 2.0)


def test_summary_arrays_follow_the_summaries_order():
    x, t_x, age, spend = summary_arrays(customer_summaries(ROWS, calibration_end=CALIBRATION_END))
    assert x.tolist() == [2.0, 0.0]
    assert t_x.tolist() == [6.0, 0.0]
    assert age.tolist() == [90 / 7, 30 / 7]
    assert spend.tolist() == [25.0, 0.0]


def test_bad_period_and_holdout_are_rejected():
    with pytest.raises(ValueError, match="period"):
        customer_summaries(ROWS, calibration_end=CALIBRATION_END, period="months")
    with pytest.raises(ValueError, match="holdout_end"):
        customer_summaries(ROWS, calibration_end=CALIBRATION_END, holdout_end=CALIBRATION_END)
    with pytest.raises(TypeError, match="date"):
        customer_summaries([("e", "2024-01-01", 1.0)], calibration_end=CALIBRATION_END)
