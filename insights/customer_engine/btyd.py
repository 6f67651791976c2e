"""Buy-till-you-die models: BG/NBD for purchases and dropout, Gamma-Gamma for spend.

Notation (Fader, Hardie and Lee 2005). A customer's first purchase starts the clock; in the
calibration period of length T (the customer's "age", from the first purchase to the end of
calibration) they made x *repeat* purchases, the last at time t_x ("recency"; t_x = 0 when
x = 0). Time is measured in periods (days or weeks). `customer_summaries` builds (x, t_x, T)
and the average repeat-purchase value m_x from transaction rows.

BG/NBD (Fader, Hardie and Lee, "Counting your customers the easy way: an alternative to the
Pareto/NBD model", Marketing Science 24(2), 2005):
  - while alive, a customer buys as a Poisson process with rate lambda;
  - after each (repeat) purchase the customer dies with probability p;
  - lambda ~ Gamma(shape r, rate alpha) and p ~ Beta(a, b) across customers, independently.
The likelihood of one customer (FHL eq. 6), with B the beta function:

    L(r, alpha, a, b | x, t_x, T) =
        B(a, b + x) / B(a, b) * Gamma(r + x) alpha^r / (Gamma(r) (alpha + T)^(r + x))
      + [x > 0] B(a + 1, b + x - 1) / B(a, b) * Gamma(r + x) alpha^r
            / (Gamma(r) (alpha + t_x)^(r + x))

The first term is "still alive at T", the second "died right after the x-th purchase".
It is evaluated in logs (gammaln, betaln) and the two terms are combined with log-sum-exp
(`np.logaddexp`), so nothing overflows for large x or T. The four parameters are positive,
so they are optimised as logs (unconstrained) with `scipy.optimize.minimize`; the sum of the
log-likelihoods over customers is maximised.

Derived quantities:
  - P(alive | x, t_x, T) (FHL eq. 11; Fader, Hardie and Lee 2008 note "Computing P(alive)
    using the BG/NBD model"):

        P(alive) = 1 / (1 + [x > 0] a / (b + x - 1) * ((alpha + T) / (alpha + t_x))^(r + x))

    For x = 0 it is 1: in the BG/NBD a customer can only drop out right after a repeat
    purchase, so a customer who never bought again is certainly alive (a known limit of the
    model; its lack of repeat purchases shows in a low expected number of purchases instead).
    Churn risk is 1 - P(alive).
  - expected purchases in the next t periods (FHL eq. 10), with 2F1 the Gaussian
    hypergeometric function:

        E[Y(t) | x, t_x, T] = (a + b + x - 1) / (a - 1)
            * [1 - ((alpha + T) / (alpha + T + t))^(r + x)
                   * 2F1(r + x, b + x; a + b + x - 1; t / (alpha + T + t))]
            / (1 + [x > 0] a / (b + x - 1) * ((alpha + T) / (alpha + t_x))^(r + x))

  - expected purchases of a new customer in t periods (FHL eq. 9):

        E[X(t)] = (a + b - 1) / (a - 1) * [1 - (alpha / (alpha + t))^r
                                                * 2F1(r, b; a + b - 1; t / (alpha + t))]

Both formulas have a removable singularity at a = 1; parameters within 1e-6 of it are moved
just off it (the error this causes is far below any fitting error).

Gamma-Gamma (Fader and Hardie, "The Gamma-Gamma model of monetary value", 2013 note, after
Colombo and Jiang 1999): the values z of a customer's transactions are Gamma(p, rate nu), and
nu ~ Gamma(q, rate gamma) across customers, independent of the purchase process. The average
m_x of x transaction values then has the marginal density

    f(m_x | p, q, gamma; x) = Gamma(p x + q) / (Gamma(p x) Gamma(q))
                              * gamma^q m_x^(p x - 1) x^(p x) / (gamma + m_x x)^(p x + q)

fitted by maximum likelihood (in logs, log-parameterised) on the customers with x >= 1 and
m_x > 0, x and m_x being the number and average value of the *repeat* transactions as in
Fader and Hardie's CDNOW analysis. The expected average spend of a customer is the posterior
mean of p / nu:

    E[M | p, q, gamma; m_x, x] = p (gamma + m_x x) / (p x + q - 1)
                               = (q - 1) / (p x + q - 1) * (p gamma / (q - 1))
                                 + p x / (p x + q - 1) * m_x

a weighted mean of the population mean p gamma / (q - 1) and the customer's own mean (the
population mean for x = 0; it needs q > 1 to be finite).

Customer lifetime value over a horizon of H months at a monthly discount rate d:

    CLV = margin * E[M] * sum_{k=1}^{H} (E[Y(k s)] - E[Y((k - 1) s)]) / (1 + d)^k

with s = periods per month and E[Y] the conditional expected purchases above. The
approximation: the purchases expected in month k are all discounted as if made at the end of
month k (continuous discounting of the expected purchase stream would value them slightly
higher), and spend per purchase is independent of how many purchases there are (the
Gamma-Gamma assumption). The same discretisation is used by `lifetimes`'
`customer_lifetime_value`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.optimize import minimize
from scipy.special import betaln, expit, gammaln, hyp2f1

from insights.customer_engine.transactions import as_date, daily_purchases, period_days

DAYS_PER_MONTH = 365.25 / 12


# --- summaries ---------------------------------------------------------------------------


@dataclass(frozen=True)
class CustomerSummary:
    """One customer's calibration summary, in periods, and (optionally) the holdout count.

    frequency: x, the number of repeat purchase days; recency: t_x, first to last purchase;
    T: first purchase to calibration end; monetary_value: the mean value of the repeat purchase
    days (0.0 when x = 0). holdout_frequency: purchase days after the calibration end up to the
    holdout end (None when no holdout was asked for); holdout_duration: its length in periods.
    """

    customer_id: Hashable
    frequency: int
    recency: float
    T: float
    monetary_value: float
    first_purchase: dt.date
    holdout_frequency: int | None = None
    holdout_duration: float | None = None


def customer_summaries(
    rows: Iterable[Any],
    *,
    calibration_end: dt.date,
    period: str = "weeks",
    holdout_end: dt.date | None = None,
) -> list[CustomerSummary]:
    """(x, t_x, T, m_x) per customer from (customer_id, when, amount) rows.

    Same-day purchases are one transaction worth their sum (see `transactions`). The
    calibration period runs from each customer's first purchase to `calibration_end`
    (inclusive); customers whose first purchase is later are not in the cohort and are left
    out. With `holdout_end`, the purchase days in (calibration_end, holdout_end] are counted
    as `holdout_frequency`. Customers come in order of first appearance in `rows`.

    For CDNOW (Fader, Hardie and Lee 2005): calibration_end = 1997-09-30 (39 weeks from
    1997-01-01), period "weeks", holdout_end = 1998-06-30 (39 more weeks).
    """
    calibration_end = as_date(calibration_end)
    if holdout_end is not None:
        holdout_end = as_date(holdout_end)
        if holdout_end <= calibration_end:
            raise ValueError("holdout_end must be after calibration_end.")
    days_per_period = period_days(period)
    summaries = []
    for customer_id, purchases in daily_purchases(rows).items():
        first = purchases[0][0]
        if first > calibration_end:
            continue
        calibration = [(day, value) for day, value in purchases if day <= calibration_end]
        repeats = [value for _, value in calibration[1:]]
        holdout_frequency = holdout_duration = None
        if holdout_end is not None:
            holdout_frequency = sum(
                1 for day, _ in purchases if calibration_end < day <= holdout_end
            )
            holdout_duration = (holdout_end - calibration_end).days / days_per_period
        summaries.append(
            CustomerSummary(
                customer_id=customer_id,
                frequency=len(repeats),
                recency=(calibration[-1][0] - first).days / days_per_period,
                T=(calibration_end - first).days / days_per_period,
                monetary_value=float(np.mean(repeats)) if repeats else 0.0,
                first_purchase=first,
                holdout_frequency=holdout_frequency,
                holdout_duration=holdout_duration,
            )
        )
    return summaries


def summary_arrays(
    summaries: Sequence[CustomerSummary],
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(x, t_x, T, m_x) as numpy arrays, in the order of `summaries`."""
    return (
        np.array([s.frequency for s in summaries], dtype=float),
        np.array([s.recency for s in summaries], dtype=float),
        np.array([s.T for s in summaries], dtype=float),
        np.array([s.monetary_value for s in summaries], dtype=float),
    )


def _check_summary(
    frequency: Any, recency: Any, T: Any
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    x, t_x, age = np.broadcast_arrays(
        np.asarray(frequency, dtype=float),
        np.asarray(recency, dtype=float),
        np.asarray(T, dtype=float),
    )
    if not (np.isfinite(x).all() and np.isfinite(t_x).all() and np.isfinite(age).all()):
        raise ValueError("frequency, recency and T must be finite.")
    if (x < 0).any() or (x != np.round(x)).any():
        raise ValueError("frequency must be a non-negative whole number.")
    if (t_x < 0).any() or (t_x > age + 1e-9).any():
        raise ValueError("recency must satisfy 0 <= recency <= T.")
    if ((x == 0) & (t_x != 0)).any():
        raise ValueError("recency must be 0 when frequency is 0.")
    return x, t_x, age


# --- optimisation ------------------------------------------------------------------------


@dataclass(frozen=True)
class FitInfo:
    """What the optimiser reports: total log-likelihood, customers used, convergence."""

    log_likelihood: float
    n_customers: int
    converged: bool
    iterations: int
    message: str


def _maximise(log_likelihood, x0: np.ndarray, n_customers: float) -> tuple[np.ndarray, FitInfo]:
    """Maximise log_likelihood(params) over positive params, as logs (mean LL for scaling).

    Nelder-Mead is robust from a poor start; BFGS then polishes the optimum to a small
    gradient. The better of the two is kept.
    """

    def objective(log_params: np.ndarray) -> float:
        value = log_likelihood(np.exp(log_params))
        return -value / n_customers if np.isfinite(value) else np.inf

    coarse = minimize(
        objective,
        x0,
        method="Nelder-Mead",
        options={"xatol": 1e-6, "fatol": 1e-12, "maxiter": 20_000, "maxfev": 20_000},
    )
    fine = minimize(objective, coarse.x, method="BFGS", options={"gtol": 1e-9})
    best = fine if np.isfinite(fine.fun) and fine.fun <= coarse.fun else coarse
    converged = bool(coarse.success or fine.success)
    info = FitInfo(
        log_likelihood=float(-best.fun * n_customers),
        n_customers=int(round(n_customers)),
        converged=converged,
        iterations=int(coarse.nit + fine.nit),
        message=str(best.message),
    )
    return np.exp(best.x), info


def _unique_rows(*columns: np.ndarray, weights: np.ndarray | None) -> tuple[np.ndarray, ...]:
    """Distinct rows of the columns and their summed weights (the likelihood is per row)."""
    stacked = np.column_stack(columns)
    unique, inverse = np.unique(stacked, axis=0, return_inverse=True)
    w = np.ones(len(stacked)) if weights is None else np.asarray(weights, dtype=float)
    if w.shape != (len(stacked),) or (w < 0).any():
        raise ValueError("weights must be one non-negative number per customer.")
    counts = np.bincount(inverse.ravel(), weights=w, minlength=len(unique))
    return (*unique.T, counts)


# --- BG/NBD ------------------------------------------------------------------------------


@dataclass(frozen=True)
class BgNbdParams:
    r: float
    alpha: float
    a: float
    b: float

    def as_dict(self) -> dict[str, float]:
        return {"r": self.r, "alpha": self.alpha, "a": self.a, "b": self.b}


@dataclass(frozen=True)
class BgNbdFit:
    params: BgNbdParams
    info: FitInfo


def bg_nbd_log_likelihood(params: BgNbdParams, frequency: Any, recency: Any, T: Any) -> np.ndarray:
    """ln L(r, alpha, a, b | x, t_x, T) of each customer (FHL eq. 6; module docstring)."""
    x, t_x, age = _check_summary(frequency, recency, T)
    return _bg_nbd_ll(params.r, params.alpha, params.a, params.b, x, t_x, age)


def _bg_nbd_ll(
    r: float, alpha: float, a: float, b: float, x: np.ndarray, t_x: np.ndarray, age: np.ndarray
) -> np.ndarray:
    common = gammaln(r + x) - gammaln(r) + r * np.log(alpha) - betaln(a, b)
    alive = betaln(a, b + x) - (r + x) * np.log(alpha + age)
    repeat = x > 0
    # B(a + 1, b + x - 1) needs b + x - 1 > 0, true wherever x >= 1; elsewhere it is unused.
    died = np.where(
        repeat,
        betaln(a + 1, np.where(repeat, b + x - 1, 1.0)) - (r + x) * np.log(alpha + t_x),
        -np.inf,
    )
    return common + np.logaddexp(alive, died)


def fit_bg_nbd(
    frequency: Any,
    recency: Any,
    T: Any,
    *,
    weights: Any = None,
    initial: BgNbdParams = BgNbdParams(1.0, 1.0, 1.0, 1.0),
) -> BgNbdFit:
    """Maximum-likelihood BG/NBD parameters for customers' (x, t_x, T) (module docstring).

    `weights` (optional) counts how many customers each row stands for. Identical rows are
    merged before fitting, so the cost grows with distinct rows, not customers.

    Where the data hold no sign of dropout (nobody stops buying) the maximum lies on the
    boundary (a -> 0 or b -> infinity) and the parameters drift far from 1 while the
    likelihood flattens; the predictions stay usable, but look at `info` before reporting the
    parameters themselves.
    """
    x, t_x, age = _check_summary(frequency, recency, T)
    ux, ut, uT, counts = _unique_rows(x.ravel(), t_x.ravel(), age.ravel(), weights=weights)
    if counts.sum() == 0:
        raise ValueError("No customers to fit.")
    if not (ux > 0).any():
        raise ValueError("BG/NBD needs at least one customer with a repeat purchase.")

    def log_likelihood(p: np.ndarray) -> float:
        return float(np.dot(counts, _bg_nbd_ll(p[0], p[1], p[2], p[3], ux, ut, uT)))

    x0 = np.log([initial.r, initial.alpha, initial.a, initial.b])
    best, info = _maximise(log_likelihood, x0, float(counts.sum()))
    return BgNbdFit(BgNbdParams(*map(float, best)), info)


def _off_one(a: float) -> float:
    return a if abs(a - 1.0) > 1e-6 else 1.0 + 1e-6


def _death_odds_log(params: BgNbdParams, x, t_x, age) -> np.ndarray:
    """ln of a / (b + x - 1) * ((alpha + T) / (alpha + t_x))^(r + x); -inf for x = 0."""
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    repeat = x > 0
    safe = np.where(repeat, b + x - 1, 1.0)
    value = np.log(a) - np.log(safe) + (r + x) * (np.log(alpha + age) - np.log(alpha + t_x))
    return np.where(repeat, value, -np.inf)


def probability_alive(params: BgNbdParams, frequency: Any, recency: Any, T: Any) -> np.ndarray:
    """P(alive | x, t_x, T) = 1 / (1 + [x > 0] a/(b+x-1) ((alpha+T)/(alpha+t_x))^(r+x)).

    1 for x = 0 (module docstring). Computed as expit(-ln odds), stable for any x.
    """
    x, t_x, age = _check_summary(frequency, recency, T)
    return expit(-_death_odds_log(params, x, t_x, age))


def expected_purchases(
    params: BgNbdParams, t: Any, frequency: Any, recency: Any, T: Any
) -> np.ndarray:
    """E[Y(t) | x, t_x, T]: expected purchases in the next t periods (FHL eq. 10)."""
    x, t_x, age = _check_summary(frequency, recency, T)
    horizon = np.asarray(t, dtype=float)
    if (horizon < 0).any():
        raise ValueError("t must be non-negative.")
    r, alpha, b = params.r, params.alpha, params.b
    a = _off_one(params.a)
    z = horizon / (alpha + age + horizon)
    log_ratio = (r + x) * (np.log(alpha + age) - np.log(alpha + age + horizon))
    bracket = 1.0 - np.exp(log_ratio) * hyp2f1(r + x, b + x, a + b + x - 1, z)
    numerator = (a + b + x - 1) / (a - 1) * bracket
    # 1 / (1 + odds) = expit(-ln odds), which stays finite when the odds overflow.
    return numerator * expit(-_death_odds_log(params, x, t_x, age))


def expected_purchases_new_customer(params: BgNbdParams, t: Any) -> np.ndarray:
    """E[X(t)]: expected repeat purchases of a customer in t periods after joining (eq. 9)."""
    horizon = np.asarray(t, dtype=float)
    if (horizon < 0).any():
        raise ValueError("t must be non-negative.")
    r, alpha, b = params.r, params.alpha, params.b
    a = _off_one(params.a)
    z = horizon / (alpha + horizon)
    bracket = 1.0 - (alpha / (alpha + horizon)) ** r * hyp2f1(r, b, a + b - 1, z)
    return (a + b - 1) / (a - 1) * bracket


# --- Gamma-Gamma -------------------------------------------------------------------------


@dataclass(frozen=True)
class GammaGammaParams:
    p: float
    q: float
    gamma: float

    def as_dict(self) -> dict[str, float]:
        return {"p": self.p, "q": self.q, "gamma": self.gamma}

    @property
    def population_mean_spend(self) -> float:
        """p gamma / (q - 1), the mean spend per transaction across customers (inf if q <= 1)."""
        return self.p * self.gamma / (self.q - 1) if self.q > 1 else float("inf")


@dataclass(frozen=True)
class GammaGammaFit:
    params: GammaGammaParams
    info: FitInfo


def _check_spend(frequency: Any, monetary_value: Any) -> tuple[np.ndarray, np.ndarray]:
    x, m = np.broadcast_arrays(
        np.asarray(frequency, dtype=float), np.asarray(monetary_value, dtype=float)
    )
    if not (np.isfinite(x).all() and np.isfinite(m).all()):
        raise ValueError("frequency and monetary_value must be finite.")
    if (x < 0).any() or (m < 0).any():
        raise ValueError("frequency and monetary_value must be non-negative.")
    return x, m


def gamma_gamma_log_likelihood(
    params: GammaGammaParams, frequency: Any, monetary_value: Any
) -> np.ndarray:
    """ln f(m_x | p, q, gamma; x) of each customer (module docstring); needs x >= 1, m_x > 0."""
    x, m = _check_spend(frequency, monetary_value)
    if (x < 1).any() or (m <= 0).any():
        raise ValueError("The Gamma-Gamma likelihood needs frequency >= 1 and spend > 0.")
    return _gamma_gamma_ll(params.p, params.q, params.gamma, x, m)


def _gamma_gamma_ll(p: float, q: float, gamma: float, x: np.ndarray, m: np.ndarray) -> np.ndarray:
    px = p * x
    return (
        gammaln(px + q)
        - gammaln(px)
        - gammaln(q)
        + q * np.log(gamma)
        + (px - 1) * np.log(m)
        + px * np.log(x)
        - (px + q) * np.log(gamma + m * x)
    )


def fit_gamma_gamma(
    frequency: Any,
    monetary_value: Any,
    *,
    weights: Any = None,
    initial: GammaGammaParams = GammaGammaParams(1.0, 1.0, 1.0),
) -> GammaGammaFit:
    """Maximum-likelihood Gamma-Gamma parameters on the customers with x >= 1 and m_x > 0.

    Customers without a repeat purchase (or with zero spend) carry no information on spend
    per transaction in this model and are skipped; `info.n_customers` says how many were used.
    The model assumes spend is independent of the purchase frequency; check the correlation
    of x and m_x on the data before trusting it (Fader and Hardie 2013). Where customers do
    not differ in their mean spend, q and gamma run to infinity together (the maximum is on
    the boundary, `info.converged` may be False); p gamma / (q - 1) stays well estimated.
    """
    x, m = _check_spend(frequency, monetary_value)
    w = np.ones(x.size) if weights is None else np.asarray(weights, dtype=float).ravel()
    if w.shape != (x.size,):
        raise ValueError("weights must be one number per customer.")
    used = (x.ravel() >= 1) & (m.ravel() > 0)
    if not used.any():
        raise ValueError("Gamma-Gamma needs at least one customer with a repeat purchase.")
    ux, um, counts = _unique_rows(x.ravel()[used], m.ravel()[used], weights=w[used])

    def log_likelihood(params: np.ndarray) -> float:
        return float(np.dot(counts, _gamma_gamma_ll(params[0], params[1], params[2], ux, um)))

    x0 = np.log([initial.p, initial.q, initial.gamma])
    best, info = _maximise(log_likelihood, x0, float(counts.sum()))
    return GammaGammaFit(GammaGammaParams(*map(float, best)), info)


def expected_average_spend(
    params: GammaGammaParams, frequency: Any, monetary_value: Any
) -> np.ndarray:
    """E[M | m_x, x] = p (gamma + m_x x) / (p x + q - 1) (module docstring).

    Customers with x = 0 get the population mean p gamma / (q - 1).
    """
    x, m = _check_spend(frequency, monetary_value)
    denominator = params.p * x + params.q - 1
    if (denominator <= 0).any():
        raise ValueError("Expected spend is infinite: needs p x + q > 1 (q > 1 when x = 0).")
    return params.p * (params.gamma + m * x) / denominator


# --- lifetime value ----------------------------------------------------------------------


def periods_per_month(period: str) -> float:
    """Model periods in an average month (365.25 / 12 days): 30.44 days or 4.35 weeks."""
    return DAYS_PER_MONTH / period_days(period)


def customer_lifetime_value(
    bg_nbd: BgNbdParams,
    gamma_gamma: GammaGammaParams,
    frequency: Any,
    recency: Any,
    T: Any,
    monetary_value: Any,
    *,
    horizon_months: int = 12,
    monthly_discount_rate: float = 0.01,
    period: str = "weeks",
    margin: float = 1.0,
) -> np.ndarray:
    """Discounted expected value over the next `horizon_months` (module docstring formula).

    `period` is the unit the BG/NBD parameters were fitted in; `margin` turns revenue into
    profit (1.0 keeps revenue).
    """
    if horizon_months < 1:
        raise ValueError("horizon_months must be at least 1.")
    if monthly_discount_rate < 0:
        raise ValueError("monthly_discount_rate must be non-negative.")
    x, t_x, age = _check_summary(frequency, recency, T)
    spend = expected_average_spend(gamma_gamma, x, monetary_value)
    per_month = periods_per_month(period)
    total = np.zeros(np.broadcast(x, t_x, age).shape)
    previous = np.zeros_like(total)
    for month in range(1, horizon_months + 1):
        cumulative = expected_purchases(bg_nbd, month * per_month, x, t_x, age)
        total = total + (cumulative - previous) / (1 + monthly_discount_rate) ** month
        previous = cumulative
    return margin * spend * total
