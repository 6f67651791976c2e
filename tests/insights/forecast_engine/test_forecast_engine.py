"""The forecast engine on simulated series: seasonality learnt, intervals near nominal,
short histories handled, events used, peaks flagged, bad input refused."""

from dataclasses import replace
from datetime import date, timedelta

import numpy as np
import pytest

from insights.forecast_engine.config import ForecastConfig
from insights.forecast_engine.engine import (
    average_demand_interval,
    flag_peaks_troughs,
    forecast_panel,
    tiers_for,
)
from insights.forecast_engine.metrics import coverage, mase, seasonal_naive_scale, wmae
from insights.forecast_engine.panel import event_matrix, panel_from_rows, period_start

START = date(2024, 1, 1)  # a Monday


def daily_rows(values_by_series):
    return [
        (series, START + timedelta(days=t), float(value))
        for series, values in values_by_series.items()
        for t, value in enumerate(values)
    ]


def weekly_pattern_series(rng, n_series, length, noise):
    """Daily series with a strong day-of-week pattern (m = 7) and Gaussian noise."""
    pattern = np.array([10, 12, 11, 13, 20, 35, 30], dtype=float)
    out = {}
    for s in range(n_series):
        level = rng.uniform(0.5, 2.0)
        t = np.arange(length)
        out[f"s{s}"] = level * pattern[t % 7] + rng.normal(0, noise, size=length)
    return out


@pytest.fixture(scope="module")
def seasonal_run():
    """12 daily series, 140 days of history and 14 held-out days (fitted once)."""
    rng = np.random.default_rng(3)
    full = weekly_pattern_series(rng, 12, 154, noise=2.0)
    history = {key: values[:140] for key, values in full.items()}
    config = ForecastConfig(frequency="D", horizon=14, cv_windows=2)
    panel = panel_from_rows(daily_rows(history), config=config)
    result = forecast_panel(panel, config=config)
    actual = np.array([full[series_id][140:] for series_id in panel.ids])
    return panel, result, actual


def test_seasonal_series_use_the_seasonal_tier_and_match_or_beat_seasonal_naive(seasonal_run):
    panel, result, actual = seasonal_run
    forecasts = result.forecasts.sort_values(["series_id", "step"])
    point = forecasts["point"].to_numpy().reshape(len(panel.ids), 14)
    scales = np.array([seasonal_naive_scale(panel.history(i), 7) for i in range(len(panel.ids))])
    chosen = mase(actual, point, scales)
    snaive = mase(actual, result.candidates["SeasonalNaive"], scales)
    assert {choice.tier for choice in result.choices} == {"seasonal"}
    # The noise is white, so averaging past seasons must beat copying the last one.
    assert chosen <= snaive
    assert chosen < 0.9


def test_intervals_cover_about_their_nominal_share(seasonal_run):
    panel, result, actual = seasonal_run
    forecasts = result.forecasts.sort_values(["series_id", "step"])
    shape = (len(panel.ids), 14)

    def band(name):
        return forecasts[name].to_numpy().reshape(shape)

    assert 0.6 <= coverage(actual, band("lo_80"), band("hi_80")) <= 0.97
    assert 0.85 <= coverage(actual, band("lo_95"), band("hi_95")) <= 1.0
    assert (band("lo_95") <= band("lo_80")).all() and (band("hi_80") <= band("hi_95")).all()


def test_every_candidate_has_cross_validated_errors_and_a_summary(seasonal_run):
    _panel, result, _actual = seasonal_run
    for choice in result.choices:
        assert set(choice.cv_error) == {
            "SeasonalNaive",
            "MSTL",
            "AutoTheta",
            "Pooled",
            "Combination",
        }
        assert choice.model in choice.cv_error
    assert sum(entry["chosen"] for entry in result.model_summary.values()) == 12


def test_short_series_fall_back_to_non_seasonal_models():
    rng = np.random.default_rng(0)
    config = ForecastConfig(frequency="W", horizon=4, cv_windows=2)
    rows = [("long", START + timedelta(weeks=t), float(rng.poisson(20))) for t in range(30)] + [
        ("new", START + timedelta(weeks=27 + t), 5.0) for t in range(3)
    ]
    panel = panel_from_rows(rows, config=config)
    result = forecast_panel(panel, config=config)
    tiers = {choice.series_id: choice for choice in result.choices}
    assert tiers["long"].tier == "short"
    assert tiers["new"].tier == "minimal"
    assert tiers["new"].model == "HistoricAverage"
    new = result.forecasts[result.forecasts["series_id"] == "new"]
    assert np.allclose(new["point"], 5.0)
    # No history can go negative, so neither can a bound.
    assert (result.forecasts["lo_95"] >= 0).all()
    assert (new["hi_95"] > new["point"]).all()


def test_series_barely_longer_than_the_cross_validation_windows_are_forecast():
    # Cross-validating the "short" tier refits AutoETS on the history before the windows; with
    # 6 or fewer periods left there, statsforecast raises NotImplementedError("tiny
    # datasets"), which stopped the whole nightly run (found at --scale 0.1 of scale_data).
    rng = np.random.default_rng(1)
    config = ForecastConfig(frequency="W", horizon=4, cv_windows=2)
    rows = [
        (f"s{length}", START + timedelta(weeks=30 - length + t), float(rng.poisson(8) + 1))
        for length in range(8, 20)
        for t in range(length)
    ]
    result = forecast_panel(panel_from_rows(rows, config=config), config=config)

    tiers = {choice.series_id: choice.tier for choice in result.choices}
    assert {tiers[f"s{length}"] for length in range(8, 16)} == {"minimal"}
    assert {tiers[f"s{length}"] for length in range(16, 20)} == {"short"}
    assert np.isfinite(result.forecasts["point"]).all()


def test_a_recurring_event_is_learnt_by_the_pooled_model():
    """Sales triple on a promotion day every 9 days (not weekly, so no seasonal lag predicts
    it); with the promotion dates as events the pooled model's error is much lower."""
    rng = np.random.default_rng(1)
    length, horizon = 126, 14
    promo_days = [START + timedelta(days=d) for d in range(3, length + horizon, 9)]
    promo = {day: 3.0 for day in promo_days}
    full = {}
    for s in range(10):
        base = rng.uniform(5, 15)
        full[f"p{s}"] = [
            base * promo.get(START + timedelta(days=t), 1.0) + rng.normal(0, 0.5)
            for t in range(length + horizon)
        ]
    config = ForecastConfig(frequency="D", horizon=horizon, cv_windows=2)
    history = {key: values[:length] for key, values in full.items()}
    panel = panel_from_rows(daily_rows(history), config=config)
    with_events = forecast_panel(panel, config=config, events={"promo": promo_days})
    without = forecast_panel(panel, config=config)
    actual = np.array([full[series_id][length:] for series_id in panel.ids])
    scales = np.array([seasonal_naive_scale(panel.history(i), 7) for i in range(len(panel.ids))])
    pooled_with = mase(actual, with_events.candidates["Pooled"], scales)
    pooled_without = mase(actual, without.candidates["Pooled"], scales)
    assert pooled_with < 0.7 * pooled_without


def test_peaks_and_troughs_are_flagged_against_the_last_season():
    history = np.array([10, 11, 9, 10, 10, 11, 9] * 4, dtype=float)
    point = np.array([10, 30, 10, 2, 10], dtype=float)
    assert flag_peaks_troughs(history, point, 7) == ["", "peak", "", "trough", ""]


def test_a_flat_history_flags_nothing():
    assert flag_peaks_troughs(np.ones(10), np.array([1.0, 50.0]), 7) == ["", ""]


def test_panel_sums_rows_per_week_and_fills_gaps_with_zeros():
    config = ForecastConfig(frequency="W", horizon=2)
    rows = [
        ("a", date(2024, 1, 1), 2),
        ("a", date(2024, 1, 3), 3),
        ("a", date(2024, 1, 17), 1),
        ("b", date(2024, 1, 10), 4),
    ]
    panel = panel_from_rows(rows, config=config)
    assert panel.periods == [date(2024, 1, 1), date(2024, 1, 8), date(2024, 1, 15)]
    assert panel.values[0].tolist() == [5.0, 0.0, 1.0]
    assert np.isnan(panel.values[1, 0]) and panel.values[1, 1:].tolist() == [4.0, 0.0]
    assert period_start(date(2024, 1, 7), "W") == date(2024, 1, 1)


def test_panel_refuses_empty_history_and_non_numbers():
    config = ForecastConfig(frequency="W", horizon=2)
    with pytest.raises(ValueError, match="empty"):
        panel_from_rows([], config=config)
    with pytest.raises(ValueError, match="not a number"):
        panel_from_rows([("a", date(2024, 1, 1), float("nan"))], config=config)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"frequency": "M"},
        {"horizon": 0},
        {"season_length": 1},
        {"levels": (80, 100)},
        {"cv_windows": 0},
        {"selection_margin": 1.0},
        {"selection_metric": "mape"},
        {"intermittent_adi": 1.0},
        {"chunk_series": 0},
    ],
)
def test_config_refuses_bad_values(kwargs):
    with pytest.raises(ValueError):
        ForecastConfig(**kwargs)


def test_tiers_need_two_seasons_for_seasonal_models():
    tiers = dict((tier.name, minimum) for tier, minimum in tiers_for(ForecastConfig(horizon=13)))
    assert tiers == {
        "seasonal": 2 * 52 + 26,
        "one_season": 52 + 13 + 26,
        "short": 34,
        "intermittent": 34,
        "minimal": 1,
    }


def test_average_demand_interval_counts_observed_periods_per_period_with_a_sale():
    nan = np.nan
    values = np.array(
        [
            [nan, nan, 1.0, 0.0, 0.0, 2.0],  # 4 observed, 2 with a sale
            [3.0, 1.0, 2.0, 5.0, 1.0, 1.0],
            [nan, 0.0, 0.0, 0.0, 0.0, 0.0],
        ]
    )
    assert average_demand_interval(values).tolist() == [2.0, 1.0, np.inf]


def test_sparse_series_go_to_the_intermittent_tier_unless_too_short_or_turned_off():
    rng = np.random.default_rng(1)
    weeks = 80  # one season and the windows: the one_season tier by length
    rows = []
    for s in range(6):  # every week sells: tiers by length
        rows += [
            (f"dense{s}", START + timedelta(weeks=t), 5.0 + rng.poisson(3)) for t in range(weeks)
        ]
    for s in range(6):  # a sale every third week: ADI 3
        rows += [
            (f"sparse{s}", START + timedelta(weeks=t), float(t % 3 == 0)) for t in range(weeks)
        ]
    rows += [
        ("sparse_new", START + timedelta(weeks=weeks - 5 + t), float(t == 0)) for t in range(5)
    ]
    config = ForecastConfig(frequency="W", horizon=4, selection_metric="rmse")
    panel = panel_from_rows(rows, config=config)
    tiers = {c.series_id: c.tier for c in forecast_panel(panel, config=config).choices}
    assert {tiers[f"sparse{s}"] for s in range(6)} == {"intermittent"}
    assert {tiers[f"dense{s}"] for s in range(6)} == {"one_season"}
    assert tiers["sparse_new"] == "minimal"  # too short to cross-validate any tier
    by_length = replace(config, intermittent_adi=None)
    tiers = {c.series_id: c.tier for c in forecast_panel(panel, config=by_length).choices}
    assert {tiers[f"sparse{s}"] for s in range(6)} == {"one_season"}


def test_fitting_in_chunks_gives_the_same_forecasts_and_reports_progress_between_them():
    rng = np.random.default_rng(2)
    rows = [
        (f"p{s}", START + timedelta(weeks=t), float(rng.poisson(0.3 + s % 4)))
        for s in range(14)
        for t in range(40)
    ]
    config = ForecastConfig(frequency="W", horizon=4, selection_metric="rmse")
    panel = panel_from_rows(rows, config=config)
    whole = forecast_panel(panel, config=config)
    messages = []
    chunked = forecast_panel(
        panel,
        config=replace(config, chunk_series=3),
        progress=lambda percent, message="": messages.append((percent, message)),
    )
    assert chunked.forecasts.equals(whole.forecasts)
    # Rows come in the order of the choices, a horizon's worth each (the save relies on it).
    order = [choice.series_id for choice in whole.choices for _ in range(config.horizon)]
    assert whole.forecasts["series_id"].tolist() == order
    assert [c.cv_error for c in chunked.choices] == [c.cv_error for c in whole.choices]
    fitting = [(p, m) for p, m in messages if m.startswith("Fitting") and "done" in m]
    assert len(fitting) >= 5  # 14 series in chunks of at most 3, over two tiers
    percents = [p for p, _m in fitting]
    assert percents == sorted(percents) and len(set(percents)) == len(percents)


def test_event_matrix_marks_the_period_of_each_date():
    periods = [date(2024, 1, 1), date(2024, 1, 8)]
    names, flags = event_matrix({"sale": [date(2024, 1, 10)]}, periods, "W")
    assert names == ["sale"] and flags.tolist() == [[0.0, 1.0]]


def test_metrics_follow_their_formulas():
    actual = np.array([[1.0, 2.0], [3.0, 5.0]])
    forecast = np.array([[2.0, 2.0], [3.0, 3.0]])
    assert mase(actual, forecast, np.array([1.0, 2.0])) == pytest.approx((0.5 + 0.5) / 2)
    assert wmae(actual, forecast, np.array([[1, 5], [1, 5]])) == pytest.approx(11 / 12)
    assert coverage(actual, forecast - 0.5, forecast + 0.5) == 0.5
    assert seasonal_naive_scale(np.array([1.0, 2.0, 4.0]), 1) == pytest.approx(1.5)
    assert seasonal_naive_scale(np.zeros(5), 2) == 1.0


def test_rmse_selection_forecasts_the_mean_of_intermittent_sales():
    """Units sold now and then (Poisson, 0.4 a week): choosing by RMSE keeps forecasts at the
    mean rate (what stock decisions need), not at the median zero that the MAE rewards."""
    rng = np.random.default_rng(7)
    rows = [
        (f"p{s}", START + timedelta(weeks=t), float(rng.poisson(0.4)))
        for s in range(20)
        for t in range(40)
    ]
    config = ForecastConfig(frequency="W", horizon=4, selection_metric="rmse")
    result = forecast_panel(panel_from_rows(rows, config=config), config=config)
    assert result.forecasts["point"].mean() == pytest.approx(0.4, abs=0.1)
    assert {choice.tier for choice in result.choices} == {"intermittent"}
    by_length = replace(config, intermittent_adi=None)
    result = forecast_panel(panel_from_rows(rows, config=config), config=by_length)
    assert result.forecasts["point"].mean() == pytest.approx(0.4, abs=0.1)
    assert "Naive" not in {choice.model for choice in result.choices}


def test_intervals_are_calibrated_on_the_latest_window_when_it_holds_enough_errors():
    from insights.forecast_engine.config import ForecastConfig
    from insights.forecast_engine.engine import _interval_quantiles

    rng = np.random.default_rng(0)
    h, series = 3, 200
    config = ForecastConfig(frequency="W", horizon=h, season_length=4, cv_windows=2)
    actual = np.zeros((series, 2, h))
    forecast = np.empty((series, 2, h))
    forecast[:, 0, :] = rng.normal(0, 10.0, (series, h))  # the older window: wide errors
    forecast[:, 1, :] = rng.normal(0, 1.0, (series, h))  # the latest: narrow
    scales = np.ones(series)
    tiers = [("seasonal", 8)]
    tier_of = np.zeros(series, dtype=int)

    latest = _interval_quantiles(config, tiers, tier_of, scales, forecast, actual, None)[0][80]
    assert np.all(latest < 2.0)  # ~1.28 sigma of the latest window's errors
    both = replace(config, interval_windows=2)
    pooled = _interval_quantiles(both, tiers, tier_of, scales, forecast, actual, None)[0][80]
    assert np.all(pooled > 3 * latest)

    # Too few errors in the latest window: every window calibrates.
    few = slice(0, 20)
    small = _interval_quantiles(
        config, tiers, tier_of[few], scales[few], forecast[few], actual[few], None
    )[0][80]
    assert np.all(small > 2.0)
    with pytest.raises(ValueError, match="interval_windows"):
        ForecastConfig(interval_windows=0)


def test_panel_lengths_are_computed_once():
    # Loops over the series read them per series: recomputed per read, a panel of 100,000
    # series made the forecast job quadratic.
    config = ForecastConfig(frequency="W", horizon=2)
    panel = panel_from_rows(
        [("a", START, 1.0), ("b", START + timedelta(weeks=2), 2.0)], config=config
    )
    assert panel.lengths.tolist() == [3, 1] and panel.starts.tolist() == [0, 2]
    assert panel.lengths is panel.lengths and panel.starts is panel.starts


def test_the_forecast_frame_has_a_row_per_series_and_step_clipped_where_sales_never_go_negative():
    from insights.forecast_engine.engine import SeriesChoice, _forecast_frame
    from insights.forecast_engine.panel import Panel

    h, nan = 3, np.nan
    periods = [START + timedelta(weeks=t) for t in range(4)]
    panel = Panel(
        ids=["sales", "returns"],
        periods=periods,
        values=np.array([[nan, 1.0, 0.0, 2.0], [1.0, -2.0, 0.0, 1.0]]),
        frequency="W",
    )
    choices = [SeriesChoice(i, "short", "Naive", "Naive", 1.0, 4, {}) for i in panel.ids]
    point = np.array([[-0.5, 1.0, 2.0], [-0.5, 1.0, 2.0]])
    quantiles = {0: {80: np.ones(h), 95: np.full(h, 2.0)}}
    config = ForecastConfig(frequency="W", horizon=h)
    frame = _forecast_frame(
        panel, config, None, np.zeros(2, dtype=int), np.array([1.0, 2.0]), choices, point,
        quantiles, panel.future_periods(h),
    )  # fmt: skip
    assert list(frame.columns) == [
        "series_id", "period", "step", "point", "model", "flag",
        "lo_80", "hi_80", "lo_95", "hi_95",
    ]  # fmt: skip
    assert frame["series_id"].tolist() == ["sales"] * 3 + ["returns"] * 3
    assert frame["step"].tolist() == [1, 2, 3, 1, 2, 3]
    assert frame["period"].tolist() == panel.future_periods(h) * 2
    sales, returns = frame.iloc[:3], frame.iloc[3:]
    assert sales["point"].tolist() == [0.0, 1.0, 2.0]  # never negative: clipped at zero
    assert sales["lo_80"].tolist() == [0.0, 0.0, 1.0] and sales["hi_95"].tolist() == [2.0, 3.0, 4.0]
    assert returns["point"].tolist() == [-0.5, 1.0, 2.0]  # scale 2: half-widths 2 and 4
    assert returns["lo_80"].tolist() == [-2.5, -1.0, 0.0]
    assert returns["hi_95"].tolist() == [3.5, 5.0, 6.0]
