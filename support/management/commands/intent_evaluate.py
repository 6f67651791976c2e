"""Evaluate the intent champion (or a named version) on any labelled CSV file."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from ml.evaluation import LabelledFileError, parse_label_map, read_labelled_csv
from ml.exceptions import AliasNotSet, ArtifactIntegrityError
from ml.models import ModelVersion
from support import selectors


class Command(BaseCommand):
    help = (
        "Score a labelled CSV with the intent champion (or --version N) and print accuracy, "
        'macro-F1, per-class F1 and the share of messages routed to "not sure". Labels must be '
        'the model\'s intents, or be mapped with --label-map "FILE_LABEL:INTENT,...".'
    )

    def create_parser(self, prog_name, subcommand, **kwargs):
        # --version names the model version here, not Django's: let ours replace the builtin.
        return super().create_parser(prog_name, subcommand, conflict_handler="resolve", **kwargs)

    def add_arguments(self, parser):
        parser.add_argument("--csv", type=Path, required=True, help="the labelled CSV file")
        parser.add_argument("--text-col", required=True, help="column holding the text")
        parser.add_argument("--label-col", required=True, help="column holding the intent")
        parser.add_argument("--label-map", help="FILE_LABEL:INTENT pairs, comma-separated")
        parser.add_argument("--version", type=int, help="intent version number (default: champion)")
        parser.add_argument("--limit", type=int, help="evaluate the first N usable rows only")

    def handle(self, *args, **options):
        try:
            label_map = parse_label_map(options["label_map"]) if options["label_map"] else None
            rows = read_labelled_csv(
                options["csv"],
                text_col=options["text_col"],
                label_col=options["label_col"],
                label_map=label_map,
                limit=options["limit"],
            )
            if not rows.texts:
                raise CommandError(f"{options['csv'].name} has no row with a text and a label.")
            report = selectors.intent_evaluate(
                texts=rows.texts, labels=rows.labels, version=options["version"]
            )
        except ModelVersion.DoesNotExist as exc:
            raise CommandError(f"There is no intent version {options['version']}.") from exc
        except (AliasNotSet, ArtifactIntegrityError, LabelledFileError) as exc:
            raise CommandError(str(exc)) from exc
        write = self.stdout.write
        champion = selectors.intent_champion()
        role = " (champion)" if champion and champion.pk == report.version.pk else ""
        write(f"Model: {report.version}{role}")
        skipped = rows.skipped_text()
        write(f"Rows: {report.rows}" + (f" (skipped: {skipped})" if skipped else ""))
        write(f"Accuracy: {report.accuracy:.4f}")
        write(f"Macro-F1: {report.macro_f1:.4f}")
        threshold = "none stored" if report.threshold is None else f"{report.threshold:.4f}"
        write(
            f"Not sure: {report.not_sure_share:.2%} of rows (threshold {threshold}); "
            f"accuracy of the rest {report.accepted_accuracy:.4f}"
        )
        write("Per-class F1:")
        width = max(len(label) for label in report.labels)
        for label in report.labels:
            scores = report.per_class[label]
            write(
                f"  {label:<{width}} F1 {scores['f1']:.4f}  precision {scores['precision']:.4f}  "
                f"recall {scores['recall']:.4f}  support {scores['support']}"
            )
