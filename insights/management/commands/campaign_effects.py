"""Measure the effect of running and recently ended campaigns now, in this process (run by
`make run`)."""

from datetime import date

from django.core.management.base import BaseCommand

from insights.services import campaign_effect as services


class Command(BaseCommand):
    help = (
        "Incremental units and revenue of each campaign that ran in the last week, as of "
        "yesterday (the nightly `campaign_effects` job does the same on a worker)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--today",
            type=date.fromisoformat,
            default=None,
            help="Measure as of the day before this one (YYYY-MM-DD). Default: today.",
        )

    def handle(self, *args, **options):
        written = services.campaign_effects_recompute(today=options["today"])
        self.stdout.write(f"Measured {written} campaign(s).")
