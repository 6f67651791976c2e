"""Job kind of behaviour clusters.

- `behaviour_clusters` (default queue: numpy on the CPU and the small base encoder for the
  texts, seconds for thousands of customers; naming with the generator, when asked, is slow
  on the CPU): k-means clusters of customers by behaviour and by what they search for and
  review, each described and named.
"""

from datetime import date

from rest_framework import serializers

from config.celery import app
from insights.selectors import clusters as selectors
from insights.services import clusters as services
from ml.job_kinds import JobContext, JobOutcome, job_task


class BehaviourClustersParams(serializers.Serializer):
    as_of = serializers.DateField(
        required=False,
        help_text="Read orders and events up to the end of this day. Default: today.",
    )
    k = serializers.IntegerField(
        required=False,
        min_value=2,
        max_value=12,
        help_text="Number of clusters. Default: the k in 3..8 with the best silhouette.",
    )
    lookback_days = serializers.IntegerField(
        required=False, min_value=7, max_value=3650, default=services.LOOKBACK_DAYS
    )
    use_generator = serializers.BooleanField(
        required=False,
        default=False,
        help_text="Name the clusters with the generator (slow on a CPU); a name that fails "
        "its check falls back to the one built from the facts.",
    )
    seed = serializers.IntegerField(required=False, min_value=0, default=0)


@job_task(
    kind=selectors.CLUSTER_JOB_KIND,
    label="Cluster customers by behaviour",
    params_serializer=BehaviourClustersParams,
    soft_time_limit=3600,
    time_limit=3700,
    description="k-means clusters of customers by their orders, visits, price level, "
    "categories and what they search for and review, each described by its facts and named.",
)
def behaviour_clusters(ctx: JobContext) -> JobOutcome:
    """Cluster the customers and replace every customer's cluster."""
    params = ctx.params
    as_of = params.get("as_of")
    # NotEnoughData is a ValueError: the job fails with its message and is not retried.
    result = services.behaviour_clusters_compute(
        as_of=date.fromisoformat(as_of) if as_of else None,
        k=params.get("k"),
        lookback_days=params.get("lookback_days", services.LOOKBACK_DAYS),
        use_generator=params.get("use_generator", False),
        seed=params.get("seed", 0),
        job_id=ctx.job_id,
        progress=ctx.progress,
    )
    run = result.run
    return JobOutcome(
        metrics={"customers": run.customers, "k": run.k, "silhouette": run.silhouette},
        result={
            "run_id": run.pk,
            "as_of": run.as_of.isoformat(),
            "silhouettes": run.silhouettes,
            "clusters": [
                {"number": c.number, "name": c.name, "size": c.size} for c in result.clusters
            ],
            "notes": run.notes,
        },
    )


@app.task(name="insights.behaviour_clusters_nightly")
def behaviour_clusters_nightly() -> int:
    """Beat entry point: submit the clustering (or find the queued one)."""
    return services.behaviour_clusters_submit().pk
