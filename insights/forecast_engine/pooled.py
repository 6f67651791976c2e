"""A global forecasting model: one robust ridge regression per horizon step, fitted on all
series at once.

For a forecast made at origin t (periods < t known) of the period i = t + h, with season
length m, the features are the series' values divided by its scale s (mean |y| of its known
history), so series of any size share one model:

    y[i-b], y[i-b-m], y[i-b-1], y[i-b+1], y[i-b-m-1], y[i-b-m+1]
        with b = m * (floor(h / m) + 1), the same period in the latest known season and the one
        before, and their neighbours (holidays that move by a period)
    mean of the last w periods and of the same w periods one and two seasons earlier
        (w in 4, 13, m: the level now against the level then)
    y[t-1]
    for each event e: e[i], e[i-b], e[i] * y[i-b], e[i-b] * y[i-b]   (exogenous regressors)
    1

A lag that is not observed falls back to the nearest one that is (two seasons back -> one
season back; a neighbour -> the period itself; a past window mean -> the current one). The
target is y[i] / s. It learns from the `origins` most recent origins whose whole horizon is
known, from every series with at least one season and 13 periods of history before the
origin. Per step h the coefficients minimise

    mean over rows of |r| (approximately: iteratively reweighted least squares, 5 rounds)
    + ridge * ||beta||^2   (intercept included; features are on the scale of the series; the
                            penalty is per row, so a small panel is not shrunk harder)

which is the absolute error the forecasts are judged by. The prediction is s * x' beta.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

IRLS_ROUNDS = 5


def _column(values: np.ndarray, index: np.ndarray | int) -> np.ndarray:
    """values[:, index] per row (index may differ per row), NaN where out of range."""
    n, length = values.shape
    index = np.broadcast_to(np.asarray(index), (n,))
    inside = (index >= 0) & (index < length)
    out = np.full(n, np.nan)
    rows = np.nonzero(inside)[0]
    out[rows] = values[rows, index[rows]]
    return out


def _fallback(primary: np.ndarray, backup: np.ndarray) -> np.ndarray:
    return np.where(np.isnan(primary), backup, primary)


def _window_mean(values: np.ndarray, end: int, width: int) -> np.ndarray:
    """Mean of values[:, end-width:end] ignoring NaN; NaN where nothing is observed."""
    start = max(end - width, 0)
    if end <= 0 or start >= end:
        return np.full(values.shape[0], np.nan)
    block = values[:, start:end]
    counts = np.sum(~np.isnan(block), axis=1)
    sums = np.nansum(block, axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(counts > 0, sums / np.maximum(counts, 1), np.nan)


def windows_for(season: int) -> tuple[int, ...]:
    return tuple(sorted({4, 13, season}))


def series_scale(values: np.ndarray, origin: int) -> np.ndarray:
    """s = mean |y| of each series' known history (1.0 where that is 0 or unknown)."""
    known = np.abs(values[:, :origin])
    counts = np.sum(~np.isnan(known), axis=1)
    scale = np.nansum(known, axis=1) / np.maximum(counts, 1)
    return np.where(scale > 0, scale, 1.0)


def features(
    values: np.ndarray, events: np.ndarray, origin: int, horizon: int, season: int
) -> tuple[np.ndarray, np.ndarray]:
    """(X, s): X[series, h, feature] for the forecast from `origin` (see the module)."""
    m = season
    known = values[:, :origin]
    scale = series_scale(values, origin)
    last = _column(known, origin - 1)
    windows = windows_for(m)
    now = [_window_mean(known, origin, w) for w in windows]
    year1 = [
        _fallback(_window_mean(known, origin - m, w), c) for w, c in zip(windows, now, strict=True)
    ]
    year2 = [
        _fallback(_window_mean(known, origin - 2 * m, w), c)
        for w, c in zip(windows, year1, strict=True)
    ]
    common = [*now, *year1, *year2, last]
    steps = []
    for h in range(horizon):
        i = origin + h
        # The latest season that is known at the origin (one back while h < m).
        back = m * ((h // m) + 1)
        lag1 = _fallback(_column(known, i - back), last)
        lag1_before = _fallback(_column(known, i - back - 1), lag1)
        after = i - back + 1
        lag1_after = _fallback(_column(known, after), lag1) if after < origin else lag1
        lag2 = _fallback(_column(known, i - back - m), lag1)
        lag2_before = _fallback(_column(known, i - back - m - 1), lag1_before)
        lag2_after = _fallback(_column(known, i - back - m + 1), lag1_after)
        columns = [lag1, lag2, lag1_before, lag1_after, lag2_before, lag2_after, *common]
        for flags in events:
            now_flag = flags[i] if i < len(flags) else 0.0
            then_flag = flags[i - back] if 0 <= i - back < len(flags) else 0.0
            columns += [
                np.full_like(lag1, now_flag),
                np.full_like(lag1, then_flag),
                now_flag * lag1,
                then_flag * lag1,
            ]
        step = np.stack(columns, axis=1) / scale[:, None]
        steps.append(np.nan_to_num(step, nan=0.0))
    return np.stack(steps, axis=1), scale


@dataclass(frozen=True)
class PooledLagModel:
    """Fitted coefficients: coef[h] over the features of `features` plus an intercept."""

    coef: np.ndarray  # (horizon, features + 1)
    season: int
    rows: int

    def predict(self, values: np.ndarray, events: np.ndarray, origin: int) -> np.ndarray:
        horizon = self.coef.shape[0]
        x, scale = features(values, events, origin, horizon, self.season)
        design = np.concatenate([x, np.ones(x.shape[:2] + (1,))], axis=2)
        return np.einsum("nhf,hf->nh", design, self.coef) * scale[:, None]


def eligible(values: np.ndarray, origin: int, season: int) -> np.ndarray:
    """Series with at least one season and 13 periods observed before `origin` (so last
    season's value and its 13-period window are real, not fallbacks)."""
    need = season + 13
    return np.sum(~np.isnan(values[:, :origin]), axis=1) >= need


def fit_pooled(
    values: np.ndarray,
    events: np.ndarray,
    *,
    end: int,
    horizon: int,
    season: int,
    origins: int,
    ridge: float,
) -> PooledLagModel | None:
    """Fit on the periods before `end`; None when no series has enough history."""
    blocks_x, blocks_y = [], []
    last_origin = end - horizon
    for origin in range(last_origin, last_origin - origins, -1):
        if origin <= 0:
            break
        rows = eligible(values, origin, season)
        if not rows.any():
            continue
        x, scale = features(values[rows], events, origin, horizon, season)
        target = values[rows, origin : origin + horizon] / scale[:, None]
        blocks_x.append(x)
        blocks_y.append(target)
    if not blocks_x:
        return None
    x = np.concatenate(blocks_x)
    y = np.concatenate(blocks_y)
    design = np.concatenate([x, np.ones(x.shape[:2] + (1,))], axis=2)
    coef = np.stack([_robust_ridge(design[:, h], y[:, h], ridge) for h in range(horizon)])
    return PooledLagModel(coef=coef, season=season, rows=int(x.shape[0]))


def _robust_ridge(design: np.ndarray, target: np.ndarray, ridge: float) -> np.ndarray:
    """Ridge regression reweighted towards least absolute deviations (IRLS)."""
    identity = np.eye(design.shape[1])
    weights = np.ones(len(target))
    coef = np.zeros(design.shape[1])
    for _ in range(IRLS_ROUNDS + 1):
        weighted = design * weights[:, None]
        # The penalty grows with the (weighted) rows, so its strength per row is the same for
        # a panel of ten series or of thousands.
        penalty = ridge * float(weights.sum()) * identity
        coef = np.linalg.solve(weighted.T @ design + penalty, weighted.T @ target)
        residual = np.abs(target - design @ coef)
        floor = 1e-3 * float(np.median(residual)) + 1e-9
        weights = 1.0 / np.maximum(residual, floor)
    return coef
