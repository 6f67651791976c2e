"""Recompute customer segments and value now, in this process (run by `make run`)."""

from datetime import date

from django.core.management.base import BaseCommand, CommandError

from insights.services import customers as services


class Command(BaseCommand):
    help = (
        "Recompute every customer's RFM scores, segment, churn risk and expected lifetime value "
        "synchronously (the nightly `customer_scores` job does the same on a worker), and keep "
        "the day's segment sizes."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--as-of",
            type=date.fromisoformat,
            default=None,
            help="Score as of the end of this day (YYYY-MM-DD). Default: today.",
        )
        parser.add_argument(
            "--backfill-weeks",
            type=int,
            default=0,
            help="Also fill in weekly segment sizes for this many weeks before that day where "
            "none were kept (a new store's segments-over-time chart). Default: 0.",
        )

    def handle(self, *args, **options):
        try:
            result = services.customer_scores_recompute(as_of=options["as_of"])
            backfilled = services.customer_segment_history_backfill(
                weeks=options["backfill_weeks"], as_of=result.run.as_of
            )
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        run = result.run
        sizes = ", ".join(f"{key} {count}" for key, count in result.segments.items())
        self.stdout.write(
            f"Customer scores: {result.scored} customers as of {run.as_of} "
            f"({result.removed} stale scores removed); segments: {sizes or 'none'}."
        )
        if backfilled:
            days = len({snapshot.date for snapshot in backfilled})
            self.stdout.write(f"Segment sizes filled in for {days} earlier week(s).")
        if run.notes:
            self.stdout.write(f"Notes: {run.notes}")
