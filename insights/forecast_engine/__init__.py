"""Sales forecasting without Django: many series in, per-series forecasts with intervals out.

- `config`: `ForecastConfig` (frequency, horizon, season length, interval levels, number of
  cross-validation windows, selection margin) as a frozen dataclass.
- `panel`: the `(series id, date, value)` rows every forecast starts from, turned into a
  regular panel (one row per series, one column per period, missing periods are zero sales,
  periods before a series' first sale are absent), and the calendar of events
  (holidays, campaigns) on the same periods.
- `pooled`: a global model across all series: robust ridge regression on scaled seasonal and
  recent lags, with event regressors.
- `metrics`: MASE, WMAE, interval coverage (pure functions, formulas in their docstrings).
- `engine`: `forecast_panel`: fits the candidate models (statsforecast's SeasonalNaive, MSTL,
  AutoTheta, AutoETS, ... by history length, plus the pooled model and a combination),
  evaluates them by rolling-origin cross-validation, selects one per series against the
  seasonal naive baseline, calibrates 80%/95% intervals from the cross-validation errors
  (conformal) and flags peaks and troughs.
- `calendar`: retail holidays (Black Friday, Christmas) as forecast events.
- `stock`: reorder arithmetic from a forecast (demand over the lead time, safety stock,
  reorder point, order quantity, stockout probability, days of cover).
- `campaign`: a campaign's incremental outcome against a holdout or by difference in
  differences, with confidence intervals.
- `pricing`: price elasticity from price changes and guard-railed price suggestions.

It needs numpy, pandas, scipy and statsforecast; it takes and returns plain values, numpy arrays,
pandas frames and frozen dataclasses.
"""
