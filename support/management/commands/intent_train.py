"""Fine-tune an intent model in process, through the platform's `finetune_classifier` job."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from rest_framework.exceptions import ValidationError

from ml.models import Job
from support import services


class Command(BaseCommand):
    help = (
        "Fine-tune the encoder into an intent classifier on a labelled CSV (or, without --csv, "
        "on the store's intent examples), running the finetune_classifier job in this process, "
        'and register a version of the task "intent" with its "not sure" threshold.'
    )

    def add_arguments(self, parser):
        parser.add_argument("--csv", type=Path, help="labelled CSV (default: store examples)")
        parser.add_argument(
            "--test-csv",
            type=Path,
            help="labelled CSV with the same columns held out as the test rows (for example a "
            "published test split); without it, 10%% of the training rows are held out",
        )
        parser.add_argument("--text-col", default="text", help="column holding the text")
        parser.add_argument("--label-col", default="intent", help="column holding the intent")
        parser.add_argument("--epochs", type=int)
        parser.add_argument("--max-rows", type=int)
        parser.add_argument("--batch-size", type=int)
        parser.add_argument("--lr", type=float)
        parser.add_argument("--max-length", type=int)
        parser.add_argument("--seed", type=int)
        parser.add_argument(
            "--promote", action="store_true", help="make it champion if it beats the champion"
        )

    def handle(self, *args, **options):
        csv_path, test_path = options["csv"], options["test_csv"]
        for path in (csv_path, test_path):
            if path is not None and not path.is_file():
                raise CommandError(f"{path} does not exist.")
        params = services.intent_train_params(
            csv_path=str(csv_path.resolve()) if csv_path else None,
            test_path=str(test_path.resolve()) if test_path else None,
            text_column=options["text_col"],
            label_column=options["label_col"],
            epochs=options["epochs"],
            max_rows=options["max_rows"],
            batch_size=options["batch_size"],
            lr=options["lr"],
            max_length=options["max_length"],
            seed=options["seed"],
            promote=options["promote"],
        )
        try:
            job = services.intent_train_in_process(params=params)
        except ValidationError as exc:
            raise CommandError(f"Bad parameters: {exc.detail}") from exc
        if job.status != Job.Status.SUCCEEDED:
            raise CommandError(f"Job #{job.pk} {job.status}: {job.error or job.progress_message}")
        version = job.model_version
        metrics = version.metrics
        test = metrics.get("test", {})
        reject = metrics.get("reject_threshold") or {}
        write = self.stdout.write
        write(f"Job #{job.pk} registered {version} (promoted: {job.result.get('promoted')}).")
        write(f"Rows: {version.data_summary.get('rows')} from {version.data_summary.get('source')}")
        if version.data_summary.get("test_source"):
            write(f"Test rows: {test.get('rows')} from {version.data_summary['test_source']}")
        write(
            f"Test accuracy: {test.get('accuracy', 0):.4f}  macro-F1: {test.get('macro_f1', 0):.4f}"
        )
        if reject:
            write(
                f"Not-sure threshold: {reject['threshold']:.4f} (validation precision "
                f"{reject['precision']:.3f} at coverage {reject['coverage']:.3f}; test precision "
                f"{reject['test']['precision']:.3f} at coverage {reject['test']['coverage']:.3f})"
            )
