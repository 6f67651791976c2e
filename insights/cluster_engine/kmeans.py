"""k-means, the silhouette coefficient, the choice of k, PCA and cosine-threshold groups.

k-means (Lloyd's algorithm) minimises the within-cluster sum of squares

    inertia = sum_i || x_i - c_{label(i)} ||^2

from a k-means++ start (Arthur and Vassilvitskii, 2007: the first centre uniformly at random,
each next one drawn with probability proportional to D(x)^2, the squared distance to the
nearest centre already chosen), iterating assign / update until no label changes or the
centres move less than `tol`. `restarts` seeded starts are run and the lowest inertia kept. An
emptied cluster is re-seeded with the point farthest from its centre, so every run returns
exactly k non-empty clusters.

Silhouette (Rousseeuw, 1987), per point i with a(i) the mean distance to the other points of
its cluster and b(i) the smallest mean distance to the points of another cluster:

    s(i) = (b(i) - a(i)) / max(a(i), b(i)),   s(i) = 0 for a point alone in its cluster,

and the score is the mean of s(i) over the points (over a seeded sample of `sample_size`
points when there are more; distances to every point are still used).

Adjusted Rand index (Hubert and Arabie, 1985), from the contingency table n_ij of two
labellings with row sums a_i, column sums b_j and n points:

    ARI = (sum_ij C(n_ij, 2) - E) / (0.5 * (sum_i C(a_i, 2) + sum_j C(b_j, 2)) - E),
    E   = sum_i C(a_i, 2) * sum_j C(b_j, 2) / C(n, 2)

1 for identical partitions, about 0 for independent ones.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class KMeansConfig:
    k: int
    restarts: int = 8
    max_iter: int = 100
    tol: float = 1e-6
    seed: int = 0

    def __post_init__(self) -> None:
        if self.k < 1:
            raise ValueError("k must be at least 1.")
        if self.restarts < 1 or self.max_iter < 1:
            raise ValueError("restarts and max_iter must be at least 1.")


@dataclass(frozen=True)
class KMeansResult:
    labels: np.ndarray  # (n,) int, 0..k-1
    centroids: np.ndarray  # (k, d)
    inertia: float
    iterations: int

    @property
    def k(self) -> int:
        return int(self.centroids.shape[0])

    def distances(self, x: np.ndarray) -> np.ndarray:
        """Euclidean distance of each row of `x` to the centre of its own cluster."""
        return np.linalg.norm(x - self.centroids[self.labels], axis=1)


def _squared_distances(x: np.ndarray, centres: np.ndarray) -> np.ndarray:
    """(n, k) squared Euclidean distances, clipped at 0 (rounding can go a hair below)."""
    d = (x * x).sum(1)[:, None] - 2.0 * x @ centres.T + (centres * centres).sum(1)[None, :]
    return np.maximum(d, 0.0)


def kmeans_plus_plus(x: np.ndarray, k: int, rng: np.random.Generator) -> np.ndarray:
    """k initial centres chosen by k-means++ (rows of `x`)."""
    n = x.shape[0]
    centres = [x[rng.integers(n)]]
    nearest = _squared_distances(x, centres[0][None, :])[:, 0]
    for _ in range(1, k):
        total = nearest.sum()
        # All remaining points coincide with a centre: any point will do.
        index = rng.choice(n, p=nearest / total) if total > 0 else rng.integers(n)
        centres.append(x[index])
        nearest = np.minimum(nearest, _squared_distances(x, x[index][None, :])[:, 0])
    return np.array(centres, dtype=float)


def _lloyd(x: np.ndarray, centres: np.ndarray, config: KMeansConfig) -> KMeansResult:
    labels = np.full(x.shape[0], -1)
    iterations = config.max_iter
    for iteration in range(1, config.max_iter + 1):
        distances = _squared_distances(x, centres)
        new_labels = distances.argmin(1)
        new_centres = centres.copy()
        for cluster in range(config.k):
            members = new_labels == cluster
            if members.any():
                new_centres[cluster] = x[members].mean(0)
            else:
                # Re-seed an emptied cluster with the point worst served by its centre.
                far = int(distances[np.arange(x.shape[0]), new_labels].argmax())
                new_centres[cluster] = x[far]
                new_labels[far] = cluster
        moved = float(np.abs(new_centres - centres).max())
        centres = new_centres
        if np.array_equal(new_labels, labels) or moved < config.tol:
            labels, iterations = new_labels, iteration
            break
        labels = new_labels
    labels = _squared_distances(x, centres).argmin(1)
    for cluster in range(config.k):
        if not (labels == cluster).any():
            labels[int(np.linalg.norm(x - centres[labels], axis=1).argmax())] = cluster
    centres = np.array([x[labels == cluster].mean(0) for cluster in range(config.k)], dtype=float)
    inertia = float(((x - centres[labels]) ** 2).sum())
    return KMeansResult(labels=labels, centroids=centres, inertia=inertia, iterations=iterations)


def kmeans(x: np.ndarray, config: KMeansConfig) -> KMeansResult:
    """Best of `config.restarts` seeded k-means++ / Lloyd runs (lowest inertia).

    Deterministic for a given `x` and config. Raises ValueError when there are fewer points
    than clusters.
    """
    x = np.asarray(x, dtype=float)
    if x.ndim != 2:
        raise ValueError("x must be a 2-D array (points x features).")
    if x.shape[0] < config.k:
        raise ValueError(f"{x.shape[0]} points cannot form {config.k} clusters.")
    rng = np.random.default_rng(config.seed)
    best: KMeansResult | None = None
    for _ in range(config.restarts):
        result = _lloyd(x, kmeans_plus_plus(x, config.k, rng), config)
        if best is None or result.inertia < best.inertia - 1e-12:
            best = result
    assert best is not None
    return best


def silhouette_score(
    x: np.ndarray, labels: np.ndarray, *, sample_size: int = 2000, seed: int = 0
) -> float:
    """Mean silhouette coefficient (module docstring); needs 2 <= clusters <= points - 1."""
    x = np.asarray(x, dtype=float)
    labels = np.asarray(labels)
    clusters = np.unique(labels)
    if not 2 <= len(clusters) <= x.shape[0] - 1:
        raise ValueError("The silhouette needs at least 2 clusters and fewer clusters than points.")
    rows = np.arange(x.shape[0])
    if x.shape[0] > sample_size:
        rows = np.sort(np.random.default_rng(seed).choice(x.shape[0], sample_size, replace=False))
    distances = np.sqrt(_squared_distances(x[rows], x))  # (m, n)
    sizes = np.array([(labels == c).sum() for c in clusters])
    sums = np.stack([distances[:, labels == c].sum(1) for c in clusters], axis=1)  # (m, C)
    own = np.searchsorted(clusters, labels[rows])
    own_size = sizes[own]
    a = np.where(own_size > 1, sums[np.arange(len(rows)), own] / np.maximum(own_size - 1, 1), 0.0)
    means = sums / sizes[None, :]
    means[np.arange(len(rows)), own] = np.inf
    b = means.min(1)
    denominator = np.maximum(a, b)
    s = np.where(
        (own_size > 1) & (denominator > 0), (b - a) / np.where(denominator > 0, denominator, 1), 0.0
    )
    return float(s.mean())


@dataclass(frozen=True)
class KChoice:
    k: int
    result: KMeansResult
    silhouettes: dict[int, float]  # k -> silhouette of the best run with k clusters


def kmeans_choose_k(
    x: np.ndarray, *, ks: Sequence[int], config: KMeansConfig, sample_size: int = 2000
) -> KChoice:
    """k-means for every k in `ks` (those below the number of points); keeps the k with the
    highest silhouette (the smaller k on a tie). `config.k` is ignored."""
    x = np.asarray(x, dtype=float)
    candidates = sorted({k for k in ks if 2 <= k < x.shape[0]})
    if not candidates:
        raise ValueError(f"No k in {list(ks)} fits {x.shape[0]} points (2 <= k < points).")
    best: tuple[float, int, KMeansResult] | None = None
    silhouettes: dict[int, float] = {}
    for k in candidates:
        result = kmeans(x, KMeansConfig(k=k, restarts=config.restarts, max_iter=config.max_iter,
                                         tol=config.tol, seed=config.seed))  # fmt: skip
        score = silhouette_score(x, result.labels, sample_size=sample_size, seed=config.seed)
        silhouettes[k] = score
        if best is None or score > best[0] + 1e-12:
            best = (score, k, result)
    assert best is not None
    return KChoice(k=best[1], result=best[2], silhouettes=silhouettes)


def adjusted_rand_index(a: Sequence[int] | np.ndarray, b: Sequence[int] | np.ndarray) -> float:
    """Adjusted Rand index of two labellings of the same points (module docstring)."""
    a, b = np.asarray(a), np.asarray(b)
    if a.shape != b.shape:
        raise ValueError("Both labellings must cover the same points.")
    _, ai = np.unique(a, return_inverse=True)
    _, bi = np.unique(b, return_inverse=True)
    table = np.zeros((ai.max() + 1, bi.max() + 1))
    np.add.at(table, (ai, bi), 1)

    def pairs(v: np.ndarray) -> float:
        return float((v * (v - 1) / 2).sum())

    index = pairs(table)
    rows, cols = pairs(table.sum(1)), pairs(table.sum(0))
    n = len(a)
    expected = rows * cols / (n * (n - 1) / 2) if n > 1 else 0.0
    maximum = (rows + cols) / 2
    if maximum == expected:
        return 1.0
    return (index - expected) / (maximum - expected)


@dataclass(frozen=True)
class Standardiser:
    """z = (x - mean) / std per column; a constant column (std 0) maps to 0."""

    mean: np.ndarray
    std: np.ndarray

    @classmethod
    def fit(cls, x: np.ndarray) -> Standardiser:
        x = np.asarray(x, dtype=float)
        std = x.std(0)
        return cls(mean=x.mean(0), std=np.where(std > 0, std, 1.0))

    def transform(self, x: np.ndarray) -> np.ndarray:
        return (np.asarray(x, dtype=float) - self.mean) / self.std


@dataclass(frozen=True)
class Pca:
    """Principal components of the data it was fitted on (by SVD of the centred data)."""

    mean: np.ndarray
    components: np.ndarray  # (c, d), unit rows
    explained_variance_ratio: np.ndarray  # (c,)

    @classmethod
    def fit(cls, x: np.ndarray, *, components: int) -> Pca:
        x = np.asarray(x, dtype=float)
        mean = x.mean(0)
        centred = x - mean
        _u, s, vt = np.linalg.svd(centred, full_matrices=False)
        c = max(0, min(components, vt.shape[0]))
        variance = s**2
        total = variance.sum()
        ratio = variance[:c] / total if total > 0 else np.zeros(c)
        # A sign convention, so that a refit on the same data gives the same axes.
        signs = np.sign(vt[:c, np.abs(vt[:c]).argmax(1)].diagonal()) if c else np.ones(0)
        signs = np.where(signs == 0, 1.0, signs)
        return cls(mean=mean, components=vt[:c] * signs[:, None], explained_variance_ratio=ratio)

    def transform(self, x: np.ndarray) -> np.ndarray:
        return (np.asarray(x, dtype=float) - self.mean) @ self.components.T


def cosine_threshold_groups(vectors: np.ndarray, *, max_distance: float) -> np.ndarray:
    """Group vectors by meaning: average-linkage agglomerative clustering on the cosine
    distance 1 - cos(u, v), cut where the mean distance between two groups would exceed
    `max_distance`. Returns a group label 0..g-1 per row, groups numbered by first row."""
    vectors = np.asarray(vectors, dtype=float)
    n = vectors.shape[0]
    if n == 0:
        return np.zeros(0, dtype=int)
    if n == 1:
        return np.zeros(1, dtype=int)
    from scipy.cluster.hierarchy import fcluster, linkage

    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    unit = vectors / np.where(norms > 0, norms, 1.0)
    tree = linkage(unit, method="average", metric="cosine")
    raw = fcluster(tree, t=max_distance, criterion="distance")
    order: dict[int, int] = {}
    return np.array([order.setdefault(int(label), len(order)) for label in raw], dtype=int)
