"""Queue a first sentiment model and the scoring of every review (run by `make run`)."""

from django.core.management.base import BaseCommand

from insights.services import sentiment as services


class Command(BaseCommand):
    help = (
        "Make sure the store gets sentiment scores: without a sentiment champion, queue a quick "
        "fine-tune on the store's reviews (promoted when done) and a job that then scores every "
        "review; with one, queue the scoring of unscored reviews. The jobs run when a worker "
        "starts. Does nothing when there is nothing to do."
    )

    def add_arguments(self, parser):
        quick = services.QUICK_TRAINING
        parser.add_argument("--max-rows", type=int, default=quick["max_rows"])
        parser.add_argument("--epochs", type=int, default=quick["epochs"])
        parser.add_argument("--max-length", type=int, default=quick["max_length"])

    def handle(self, *args, **options):
        outcome = services.sentiment_bootstrap(
            training={
                "max_rows": options["max_rows"],
                "epochs": options["epochs"],
                "max_length": options["max_length"],
            }
        )
        self.stdout.write(f"Sentiment: {outcome.message}")
