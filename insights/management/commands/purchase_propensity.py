"""Train the purchase propensity model and score every customer now, in this process (run by
`make run`)."""

from datetime import date

from django.core.management.base import BaseCommand, CommandError

from insights.services import propensity as services
from ml.exceptions import AliasNotSet


class Command(BaseCommand):
    help = (
        "Train the purchase propensity network and its logistic baseline on time-split windows, "
        "register the version, promote it if it is at least as good as the champion, and score "
        "every customer (the `purchase_propensity_train` job does the same on a worker)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--as-of",
            type=date.fromisoformat,
            default=None,
            help="Use activity up to the end of this day (YYYY-MM-DD). Default: today.",
        )
        parser.add_argument("--horizon-days", type=int, default=30)
        parser.add_argument(
            "--no-text",
            action="store_true",
            help="Leave out the encoder embeddings of searches and reviews (faster).",
        )
        parser.add_argument("--score-only", action="store_true", help="Only rescore.")

    def handle(self, *args, **options):
        if not 7 <= options["horizon_days"] <= 180:
            raise CommandError("--horizon-days must be between 7 and 180.")
        if not options["score_only"]:
            try:
                outcome = services.propensity_train(
                    as_of=options["as_of"],
                    use_text=not options["no_text"],
                    horizon_days=options["horizon_days"],
                )
            except ValueError as exc:
                raise CommandError(str(exc)) from exc
            metrics = outcome.version.metrics
            models = metrics["models"]
            self.stdout.write(
                f"Purchase propensity v{outcome.version.version} "
                f"({'promoted' if outcome.promoted else 'not promoted'}): test AUC "
                f"network {models['neural']['test']['auc']}, logistic baseline "
                f"{models['logistic']['test']['auc']}; serving the {metrics['served_family']} "
                f"model (AP {metrics['average_precision']}, Brier {metrics['brier']}), "
                f"{metrics['seconds']} s."
            )
        try:
            scored = services.propensity_score_all(as_of=options["as_of"])
        except AliasNotSet as exc:  # nothing promoted yet
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"Scored {scored} customers.")
