"""Import store data files; the formats are in docs/import-formats.md."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from shop.imports import ENTITIES, ImportReport, store_import


def write_reports(command: BaseCommand, reports: list[ImportReport]) -> None:
    """Print each report; raise CommandError (exit status 1) if any file was rejected."""
    for report in reports:
        style = command.style.ERROR if report.rejected else command.style.SUCCESS
        command.stdout.write(style(report.summary()))
        for error in report.errors:
            command.stdout.write(f"  {error}")
    rejected = [report for report in reports if report.rejected]
    if rejected:
        raise CommandError(
            f"{len(rejected)} of {len(reports)} file(s) rejected; nothing from them was saved"
        )


class Command(BaseCommand):
    help = (
        "Import products, customers, orders, reviews and events from CSV (.csv) or JSON Lines "
        "(.jsonl) files, in that order. Each file is validated whole and saved all-or-nothing; "
        "re-importing is idempotent. Formats: docs/import-formats.md."
    )

    def add_arguments(self, parser):
        for entity in ENTITIES:
            parser.add_argument(f"--{entity}", metavar="FILE", type=Path, help=f"{entity} file")

    def handle(self, *args, **options):
        paths = {entity: options[entity] for entity in ENTITIES if options[entity]}
        if not paths:
            raise CommandError("give at least one file: " + ", ".join(f"--{e}" for e in ENTITIES))
        write_reports(self, store_import(**paths))
