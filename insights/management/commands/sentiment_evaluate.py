"""Evaluate the sentiment champion (or a named version) on any labelled CSV file."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from insights.selectors import sentiment as selectors
from ml.evaluation import LabelledFileError, parse_label_map, read_labelled_csv
from ml.exceptions import AliasNotSet, ArtifactIntegrityError
from ml.models import ModelVersion


class Command(BaseCommand):
    help = (
        "Score a labelled CSV with the sentiment champion (or --version N) and print accuracy, "
        "macro-F1 and per-class F1. Labels must be negative/neutral/positive, or be mapped "
        'with --label-map "1:negative,2:negative,3:neutral,4:positive,5:positive".'
    )

    def create_parser(self, prog_name, subcommand, **kwargs):
        # --version names the model version here, not Django's: let ours replace the builtin.
        return super().create_parser(prog_name, subcommand, conflict_handler="resolve", **kwargs)

    def add_arguments(self, parser):
        parser.add_argument("--csv", type=Path, required=True, help="the labelled CSV file")
        parser.add_argument("--text-col", required=True, help="column holding the text")
        parser.add_argument("--label-col", required=True, help="column holding the label")
        parser.add_argument("--title-col", help='optional title column; text becomes "title. text"')
        parser.add_argument("--label-map", help="FILE_LABEL:MODEL_LABEL pairs, comma-separated")
        parser.add_argument(
            "--version", type=int, help="sentiment version number (default: champion)"
        )
        parser.add_argument("--limit", type=int, help="evaluate the first N usable rows only")

    def handle(self, *args, **options):
        try:
            label_map = parse_label_map(options["label_map"]) if options["label_map"] else None
            rows = read_labelled_csv(
                options["csv"],
                text_col=options["text_col"],
                label_col=options["label_col"],
                title_col=options["title_col"],
                label_map=label_map,
                limit=options["limit"],
            )
        except LabelledFileError as exc:
            raise CommandError(str(exc)) from exc
        texts, labels = rows.texts, rows.labels
        if not texts:
            raise CommandError(f"{options['csv'].name} has no row with both a text and a label.")
        try:
            report = selectors.sentiment_evaluate(
                texts=texts, labels=labels, version=options["version"]
            )
        except ModelVersion.DoesNotExist as exc:
            raise CommandError(f"There is no sentiment version {options['version']}.") from exc
        except (AliasNotSet, ArtifactIntegrityError, ValueError) as exc:
            raise CommandError(str(exc)) from exc
        write = self.stdout.write
        champion = selectors.sentiment_champion()
        role = " (champion)" if champion and champion.pk == report.version.pk else ""
        write(f"Model: {report.version}{role}")
        skipped_text = rows.skipped_text()
        write(f"Rows: {report.rows}" + (f" (skipped: {skipped_text})" if skipped_text else ""))
        write(f"Accuracy: {report.accuracy:.4f}")
        write(f"Macro-F1: {report.macro_f1:.4f}")
        write("Per-class F1:")
        for label in report.labels:
            scores = report.per_class[label]
            write(
                f"  {label:<10} F1 {scores['f1']:.4f}  precision {scores['precision']:.4f}  "
                f"recall {scores['recall']:.4f}  support {scores['support']}"
            )
