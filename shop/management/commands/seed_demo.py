"""Build the deterministic demo store."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from shop.demo import demo_store_build


class Command(BaseCommand):
    help = (
        "Build a deterministic demo store (same seed, same data): real clothing products and "
        "reviews where the data set is present, generated customers with stable tastes, a "
        "year of sessions, events and orders with weekly and yearly seasonality, and campaigns. "
        "Does nothing if a demo store exists, unless --reset."
    )

    def add_arguments(self, parser):
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--customers", type=int, default=2000)
        parser.add_argument("--days", type=int, default=365, help="days of activity to today")
        parser.add_argument("--products", type=int, default=350)
        parser.add_argument(
            "--data-dir", type=Path, help="shared data folder (default: SHARED_DATA_DIR)"
        )
        parser.add_argument(
            "--reset", action="store_true", help="delete the existing demo store first"
        )

    def handle(self, *args, **options):
        try:
            summary = demo_store_build(
                seed=options["seed"],
                customers=options["customers"],
                days=options["days"],
                products=options["products"],
                reset=options["reset"],
                data_dir=options["data_dir"],
                log=lambda message: self.stdout.write(message + "…"),
            )
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        style = self.style.WARNING if summary.reused else self.style.SUCCESS
        head, *rest = summary.lines()
        self.stdout.write(style(head))
        for line in rest:
            self.stdout.write(line)
