"""Queue a first recommendations model when there is none (run by `make run`)."""

from django.core.management.base import BaseCommand

from ml.selectors import alias_get, job_list
from ml.services import job_submit
from recommendations.services import RECS_TASK


class Command(BaseCommand):
    help = (
        "Without a recommendations champion (and no training already queued or running), queue "
        "a quick training job; it is promoted when done and precomputes the personal lists. "
        "The job runs when a worker starts."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--max-train-minutes",
            type=float,
            default=3.0,
            help="Time limit of the sequential model (quick demo training).",
        )

    def handle(self, *args, **options):
        if alias_get(task=RECS_TASK) is not None:
            self.stdout.write("Recommendations: a champion is already serving.")
            return
        pending = job_list(kind="recommendations_train").filter(status__in=["queued", "running"])
        if pending.exists():
            self.stdout.write("Recommendations: a training job is already queued.")
            return
        job = job_submit(
            kind="recommendations_train",
            params={"max_train_minutes": options["max_train_minutes"]},
        )
        self.stdout.write(f"Recommendations: queued training job #{job.pk}.")
