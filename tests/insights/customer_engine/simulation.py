"""Seeded simulations of the BG/NBD purchase process and the Gamma-Gamma spend process."""

import numpy as np

from insights.customer_engine.btyd import BgNbdParams, GammaGammaParams


def simulate_bg_nbd(
    params: BgNbdParams, ages: np.ndarray, seed: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(x, t_x, T) of customers observed for `ages` periods after their first purchase.

    Each customer draws lambda ~ Gamma(r, rate alpha) and p ~ Beta(a, b); purchases follow a
    Poisson process of rate lambda, and after each repeat purchase the customer drops out with
    probability p (FHL 2005 assumptions i-v).
    """
    rng = np.random.default_rng(seed)
    n = len(ages)
    rate = rng.gamma(params.r, 1 / params.alpha, n)
    dropout = rng.beta(params.a, params.b, n)
    clock = np.zeros(n)
    x = np.zeros(n)
    t_x = np.zeros(n)
    active = np.ones(n, dtype=bool)
    while active.any():
        index = np.flatnonzero(active)
        following = clock[index] + rng.exponential(1 / rate[index])
        inside = following <= ages[index]
        bought = index[inside]
        x[bought] += 1
        t_x[bought] = following[inside]
        clock[bought] = following[inside]
        died = rng.random(len(bought)) < dropout[bought]
        active[index[~inside]] = False
        active[bought[died]] = False
    return x, t_x, np.asarray(ages, dtype=float)


def simulate_gamma_gamma(params: GammaGammaParams, frequency: np.ndarray, seed: int) -> np.ndarray:
    """Average of x transaction values per customer: z ~ Gamma(p, rate nu), nu ~ Gamma(q, gamma)."""
    rng = np.random.default_rng(seed)
    nu = rng.gamma(params.q, 1 / params.gamma, len(frequency))
    return np.array(
        [
            rng.gamma(params.p, 1 / rate, int(k)).mean()
            for rate, k in zip(nu, frequency, strict=True)
        ]
    )
