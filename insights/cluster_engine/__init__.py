"""The pure parts of behaviour clusters, without Django, so they run and are tested on their own.

- `kmeans`: k-means (k-means++ initialisation, several seeded restarts), the silhouette
  coefficient, the choice of k by silhouette, the adjusted Rand index, PCA, standardisation
  and grouping vectors by a cosine-distance threshold (used by `insights.search_engine` too).
- `features`: one customer's activity (orders, events, reviews) as numbers, and the
  standardised matrix the clustering runs on (behaviour features plus a few principal
  components of the customer's text embeddings).
- `describe`: the facts that describe a cluster (size, top categories, price level, typical
  behaviour), the deterministic name built from them, and the prompt for, and the check of,
  a name proposed by the generator.

Customers, orders and jobs are reached only by the Django callers (`insights.services.
clusters`); this package takes and returns plain values (numbers, strings, numpy arrays,
frozen dataclasses). It needs numpy and scipy (`scipy.cluster.hierarchy`).
"""
