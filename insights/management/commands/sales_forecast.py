"""Forecast sales per product and category now, in this process (run by `make run`)."""

from datetime import date

from django.core.management.base import BaseCommand, CommandError

from insights.services import forecasts as services


class Command(BaseCommand):
    help = (
        "Forecast units sold per product and per category with 80%/95% intervals "
        "synchronously (the nightly `sales_forecast` job does the same on a worker)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--as-of",
            type=date.fromisoformat,
            default=None,
            help="Forecast from the end of this day (YYYY-MM-DD). Default: today.",
        )
        parser.add_argument("--frequency", choices=["W", "D"], default=services.DEFAULT_FREQUENCY)
        parser.add_argument("--horizon", type=int, default=None, help="Periods ahead.")

    def handle(self, *args, **options):
        if options["horizon"] is not None and options["horizon"] < 1:
            raise CommandError("--horizon must be at least 1.")
        try:
            result = services.sales_forecast_recompute(
                as_of=options["as_of"],
                frequency=options["frequency"],
                horizon=options["horizon"],
            )
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        run = result.run
        chosen = ", ".join(
            f"{name} {entry['chosen']}"
            for name, entry in run.model_metrics.items()
            if entry.get("chosen")
        )
        self.stdout.write(
            f"Sales forecast as of {run.as_of}: {result.products} products, "
            f"{result.categories} categories, {run.horizon} periods ahead in {run.seconds:.1f} s; "
            f"models chosen: {chosen or 'none'}."
        )
