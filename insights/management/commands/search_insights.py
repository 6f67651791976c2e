"""Analyse shoppers' searches now, in this process (the `search_insights` job does the same
on a worker)."""

import time
from datetime import date

from django.core.management.base import BaseCommand, CommandError

from insights.services import search_insights as services


class Command(BaseCommand):
    help = (
        "Group the last weeks' search queries by meaning into topics, find rising topics and "
        "the searches that no product matches."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--as-of",
            type=date.fromisoformat,
            default=None,
            help='The last day of "this week". Default: today.',
        )
        parser.add_argument("--weeks", type=int, default=services.WEEKS)  # fmt: skip

    def handle(self, *args, **options):
        started = time.monotonic()
        try:
            result = services.search_insights_compute(
                as_of=options["as_of"], weeks=options["weeks"]
            )
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        run = result.run
        self.stdout.write(
            f"Search insights: {run.searches} searches ({run.distinct_queries} distinct) over "
            f"{run.weeks} weeks to {run.as_of}: {result.topics} topics ({result.rising} "
            f"rising), {result.unmet} unmet groups, in {time.monotonic() - started:.1f}s."
        )
        if run.notes:
            self.stdout.write(f"Notes: {run.notes}")
