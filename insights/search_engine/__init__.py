"""The pure parts of search insights, without Django, so they run and are tested on their own.

- `topics`: shoppers' search queries normalised, grouped by meaning into topics (the grouping
  of `insights.cluster_engine.kmeans.cosine_threshold_groups` on encoder embeddings), each
  topic's weekly volumes and the rule that calls a topic rising.
- `unmet`: the rule that decides that a query finds no matching product (demand the
  catalogue does not meet).

Events, products and jobs are reached only by the Django callers (`insights.services.
search_insights`); embeddings come in as numpy arrays. It needs numpy and scipy.
"""
