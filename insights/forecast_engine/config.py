"""Forecast configuration: one frozen dataclass, logged with every run."""

from __future__ import annotations

from dataclasses import asdict, dataclass

#: pandas frequency of each supported period, and its default season length.
FREQUENCIES = {"W": ("W-MON", 52), "D": ("D", 7)}


@dataclass(frozen=True)
class ForecastConfig:
    """What to forecast and how.

    frequency: "W" (weeks starting on Monday) or "D" (days).
    horizon: periods ahead to forecast (h = 1..horizon).
    season_length: periods per season (default 52 for weeks, 7 for days).
    levels: central prediction-interval coverages in percent.
    cv_windows: rolling-origin cross-validation windows, each `horizon` periods long, the last
        one ending at the end of the history.
    selection_margin: a candidate (the seasonal naive baseline included) replaces the default
        recipe (the combination) for a series only when its cross-validated MAE is lower by
        more than this fraction (0.3: chosen on Walmart weeks before the benchmark's test
        weeks, where smaller margins picked noise and lost to the combination alone).
    selection_metric: "mae" (mean absolute error, what MASE judges) or "rmse" (root mean
        squared error: the mean is what it rewards; for stock decisions on intermittent sales,
        where the MAE prefers forecasting zero, the median of such a series).
    interval_windows: how many of the most recent cross-validation windows calibrate the
        intervals (all of them where these hold fewer than 30 errors per step). Errors shrink
        as the history grows, so the latest window is the one most like the final forecast:
        on 400 Walmart series (with widths then forced to grow with h) the 80% interval
        covered 0.838 of the test weeks calibrated on the latest window, 0.860 on both, 0.879
        on the earlier one; on all 2660 series it now covers 0.812 (benchmarks/RESULTS.md).
    pooled_origins: how many of the most recent forecast origins the pooled model learns from.
    pooled_ridge: ridge penalty of the pooled model per row (on scaled features); chosen on
        Walmart weeks before the benchmark's test weeks (`forecast_quality.py --validation`).
    intermittent_adi: series whose average interval between periods with a sale is at least
        this are forecast with intermittent-demand methods (1.32: Syntetos, Boylan and
        Croston's cut-off; see `engine`); None assigns tiers by history length alone.
    chunk_series: statsforecast fits this many series per call, so a job's memory does not
        grow with the catalogue and its progress moves (and it can be cancelled) between calls.
    n_jobs: processes statsforecast may use.
    """

    frequency: str = "W"
    horizon: int = 13
    season_length: int | None = None
    levels: tuple[int, ...] = (80, 95)
    cv_windows: int = 2
    selection_margin: float = 0.3
    selection_metric: str = "mae"
    interval_windows: int = 1
    pooled_origins: int = 14
    pooled_ridge: float = 0.001
    intermittent_adi: float | None = 1.32
    chunk_series: int = 5000
    n_jobs: int = 1

    def __post_init__(self) -> None:
        if self.frequency not in FREQUENCIES:
            raise ValueError(f"frequency must be one of {sorted(FREQUENCIES)}.")
        if self.horizon < 1:
            raise ValueError("horizon must be at least 1.")
        if self.season_length is not None and self.season_length < 2:
            raise ValueError("season_length must be at least 2.")
        if not self.levels or any(not 0 < level < 100 for level in self.levels):
            raise ValueError("levels must be percentages between 0 and 100.")
        if self.cv_windows < 1:
            raise ValueError("cv_windows must be at least 1.")
        if self.interval_windows < 1:
            raise ValueError("interval_windows must be at least 1.")
        if self.selection_metric not in ("mae", "rmse"):
            raise ValueError('selection_metric must be "mae" or "rmse".')
        if not 0 <= self.selection_margin < 1:
            raise ValueError("selection_margin must be in [0, 1).")
        if self.intermittent_adi is not None and self.intermittent_adi <= 1:
            raise ValueError("intermittent_adi must be above 1 (or None).")
        if self.chunk_series < 1:
            raise ValueError("chunk_series must be at least 1.")

    @property
    def season(self) -> int:
        return self.season_length or FREQUENCIES[self.frequency][1]

    @property
    def pandas_freq(self) -> str:
        return FREQUENCIES[self.frequency][0]

    def as_dict(self) -> dict:
        data = asdict(self)
        data["levels"] = list(self.levels)
        data["season_length"] = self.season
        return data
