"""Propose prices from price elasticity now, in this process."""

from datetime import date

from django.core.management.base import BaseCommand, CommandError

from insights.services import pricing as services


class Command(BaseCommand):
    help = (
        "Estimate price elasticities from the weekly prices paid and units sold, and propose "
        "guard-railed prices (the `price_suggestions` job does the same on a worker). Changes "
        "no price: each proposal waits for a person to approve it in the admin."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--as-of",
            type=date.fromisoformat,
            default=None,
            help="Read whole weeks of sales up to this day (YYYY-MM-DD). Default: today.",
        )
        parser.add_argument("--weeks", type=int, default=None, help="Weeks of history.")
        parser.add_argument("--max-change", type=float, default=None, help="e.g. 0.1 for 10%%.")
        parser.add_argument("--margin-floor", type=float, default=None, help="e.g. 0.2 for 20%%.")

    def handle(self, *args, **options):
        try:
            run = services.price_suggestions_recompute(
                as_of=options["as_of"],
                weeks=options["weeks"],
                max_change=options["max_change"],
                margin_floor=options["margin_floor"],
            )
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(run.summary())
