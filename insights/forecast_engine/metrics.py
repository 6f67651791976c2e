"""Forecast accuracy metrics (pure numpy). Arrays are (series, horizon) unless said."""

from __future__ import annotations

import numpy as np


def seasonal_naive_scale(history: np.ndarray, season: int) -> float:
    """In-sample MAE of the seasonal naive forecast: mean |y_t - y_{t-m}| over t = m..n-1.

    Falls back to the one-step naive MAE (m = 1) when the history is not longer than one
    season, and to the mean |y| (then 1.0) when that is zero, so a scale is never zero.
    """
    y = np.asarray(history, dtype=float)
    y = y[~np.isnan(y)]
    for lag in (season, 1):
        if len(y) > lag:
            scale = float(np.mean(np.abs(y[lag:] - y[:-lag])))
            if scale > 0:
                return scale
    scale = float(np.mean(np.abs(y))) if len(y) else 0.0
    return scale if scale > 0 else 1.0


def mase(actual: np.ndarray, forecast: np.ndarray, scales: np.ndarray) -> float:
    """Mean absolute scaled error, averaged over series:

        MASE = mean_i [ mean_h |y_ih - f_ih| / scale_i ]

    with scale_i the in-sample seasonal naive MAE of series i (`seasonal_naive_scale`).
    """
    errors = np.mean(np.abs(np.asarray(actual) - np.asarray(forecast)), axis=1)
    return float(np.mean(errors / np.asarray(scales)))


def mase_per_series(actual: np.ndarray, forecast: np.ndarray, scales: np.ndarray) -> np.ndarray:
    return np.mean(np.abs(np.asarray(actual) - np.asarray(forecast)), axis=1) / np.asarray(scales)


def wmae(actual: np.ndarray, forecast: np.ndarray, weights: np.ndarray) -> float:
    """Weighted MAE: sum w_ih |y_ih - f_ih| / sum w_ih (Walmart: w = 5 in holiday weeks, else 1)."""
    weights = np.broadcast_to(np.asarray(weights, dtype=float), np.shape(actual))
    return float(np.sum(weights * np.abs(actual - forecast)) / np.sum(weights))


def coverage(actual: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> float:
    """Share of actual values inside [lower, upper]."""
    actual = np.asarray(actual)
    return float(np.mean((actual >= lower) & (actual <= upper)))
