"""Reorder arithmetic: demand over the lead time, safety stock, reorder point, quantity."""

import math
from statistics import NormalDist

import pytest

from insights.forecast_engine.stock import (
    Z80,
    PeriodForecast,
    days_of_cover,
    demand_over,
    reorder_suggestion,
)


def weeks(point: float, sigma: float, count: int = 8) -> list[PeriodForecast]:
    return [PeriodForecast(point=point, hi80=point + Z80 * sigma) for _ in range(count)]


def test_sigma_comes_from_the_upper_80_percent_bound():
    assert PeriodForecast(point=10, hi80=10 + Z80 * 3).sigma == pytest.approx(3)
    assert Z80 == pytest.approx(1.2816, abs=1e-4)


def test_demand_over_whole_and_part_periods():
    periods = [PeriodForecast(10, 10 + Z80 * 3), PeriodForecast(20, 20 + Z80 * 4)]
    # 10 days = one week + 3/7 of the next.
    demand = demand_over(10, periods, 7)
    assert demand.mean == pytest.approx(10 + 20 * 3 / 7)
    assert demand.sd == pytest.approx(math.sqrt(9 + (3 / 7 * 4) ** 2))


def test_demand_beyond_the_horizon_repeats_the_last_period():
    periods = [PeriodForecast(10, 10 + Z80 * 2)]
    demand = demand_over(21, periods, 7)
    assert demand.mean == pytest.approx(30)
    assert demand.sd == pytest.approx(math.sqrt(3 * 4))


def test_reorder_point_is_lead_time_demand_plus_z_sigma():
    # Lead time 14 days = 2 weeks of 10 +- 3: mean 20, sd sqrt(18).
    suggestion = reorder_suggestion(
        stock=15,
        periods=weeks(10, 3),
        period_days=7,
        lead_time_days=14,
        review_days=7,
        service_level=0.95,
    )
    z = NormalDist().inv_cdf(0.95)
    assert suggestion.lead_time_demand == pytest.approx(20)
    assert suggestion.safety_stock == pytest.approx(z * math.sqrt(18))
    assert suggestion.reorder_point == pytest.approx(20 + z * math.sqrt(18))
    assert suggestion.order_up_to == pytest.approx(30 + z * math.sqrt(27))
    assert suggestion.quantity == math.ceil(30 + z * math.sqrt(27) - 15)
    assert suggestion.at_risk
    assert suggestion.stockout_probability == pytest.approx(
        1 - NormalDist().cdf((15 - 20) / math.sqrt(18))
    )
    assert suggestion.days_of_cover == pytest.approx(10.5)


def test_enough_stock_needs_no_order():
    suggestion = reorder_suggestion(
        stock=100,
        periods=weeks(10, 3),
        period_days=7,
        lead_time_days=14,
        review_days=7,
        service_level=0.95,
    )
    assert suggestion.quantity == 0
    assert not suggestion.at_risk
    assert suggestion.stockout_probability < 1e-6
    assert suggestion.days_of_cover is None  # 100 units outlast the 8-week forecast


def test_higher_service_level_means_more_safety_stock():
    low, high = (
        reorder_suggestion(
            stock=0,
            periods=weeks(10, 3),
            period_days=7,
            lead_time_days=7,
            review_days=7,
            service_level=level,
        )
        for level in (0.8, 0.99)
    )
    assert high.safety_stock > low.safety_stock
    assert high.quantity > low.quantity


def test_negative_stock_counts_as_none_on_hand():
    suggestion = reorder_suggestion(
        stock=-3,
        periods=weeks(1, 0.5),
        period_days=7,
        lead_time_days=7,
        review_days=0,
        service_level=0.9,
    )
    assert suggestion.days_of_cover == 0.0
    assert suggestion.quantity == math.ceil(1 + NormalDist().inv_cdf(0.9) * 0.5)


def test_a_certain_forecast_has_no_safety_stock():
    suggestion = reorder_suggestion(
        stock=5,
        periods=[PeriodForecast(7, 7)] * 4,
        period_days=1,
        lead_time_days=2,
        review_days=1,
        service_level=0.95,
    )
    assert suggestion.safety_stock == 0
    assert suggestion.stockout_probability == 1.0  # 5 units against a certain 14
    assert suggestion.quantity == 21 - 5


def test_days_of_cover_interpolates_within_a_period():
    assert days_of_cover(15, weeks(10, 1), 7) == pytest.approx(10.5)
    assert days_of_cover(0, weeks(10, 1), 7) == 0.0


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"service_level": 0.3}, "service_level"),
        ({"service_level": 1.0}, "service_level"),
        ({"lead_time_days": -1}, "negative"),
        ({"periods": []}, "at least one period"),
    ],
)
def test_bad_input_is_refused(kwargs, message):
    arguments = {
        "stock": 1,
        "periods": weeks(1, 1),
        "period_days": 7,
        "lead_time_days": 7,
        "review_days": 7,
        "service_level": 0.95,
        **kwargs,
    }
    with pytest.raises(ValueError, match=message):
        reorder_suggestion(**arguments)
