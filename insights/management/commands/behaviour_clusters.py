"""Cluster customers by behaviour now, in this process (the `behaviour_clusters` job does the
same on a worker)."""

import time
from datetime import date

from django.core.management.base import BaseCommand, CommandError

from insights.services import clusters as services


class Command(BaseCommand):
    help = (
        "Cluster every customer who allows profiling by orders, visits, price level, categories "
        "and what they search for and review; describe and name each cluster."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--as-of",
            type=date.fromisoformat,
            default=None,
            help="Read activity up to the end of this day. Default: today.",
        )
        parser.add_argument(
            "--k",
            type=int,
            default=None,
            help="Number of clusters. Default: best silhouette over 3..8.",
        )
        parser.add_argument("--lookback-days", type=int, default=services.LOOKBACK_DAYS)
        parser.add_argument(
            "--use-generator",
            action="store_true",
            help="Name clusters with the generator (slow on a CPU).",
        )
        parser.add_argument("--seed", type=int, default=0)  # fmt: skip

    def handle(self, *args, **options):
        if options["k"] is not None and not 2 <= options["k"] <= 12:
            raise CommandError("--k must lie in 2..12.")
        if options["lookback_days"] < 7:
            raise CommandError("--lookback-days must be at least 7.")
        started = time.monotonic()
        try:
            result = services.behaviour_clusters_compute(
                as_of=options["as_of"],
                k=options["k"],
                lookback_days=options["lookback_days"],
                use_generator=options["use_generator"],
                seed=options["seed"],
            )
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        run = result.run
        silhouette = f"{run.silhouette:.3f}" if run.silhouette is not None else "—"
        self.stdout.write(
            f"Behaviour clusters: {run.customers} customers in {run.k} clusters as of "
            f"{run.as_of} (silhouette {silhouette}) in {time.monotonic() - started:.1f}s."
        )
        for cluster in result.clusters:
            self.stdout.write(f"  {cluster.number + 1}. {cluster.name}: {cluster.size}")
        if run.notes:
            self.stdout.write(f"Notes: {run.notes}")
