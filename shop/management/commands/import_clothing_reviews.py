"""Import the Women's E-Commerce Clothing Reviews CSV as products and reviews."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from shop.exceptions import ImportFailed
from shop.imports import clothing_reviews_import
from shop.management.commands.import_store import write_reports


class Command(BaseCommand):
    help = (
        "Import Womens_Clothing_E-Commerce_Reviews.csv: clothing ids become products "
        "CLOTH-<id> in Division > Department > Class categories, rows become reviews "
        "wcr-<index>. Idempotent."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path)
        parser.add_argument("--limit", type=int, help="read only the first N data rows")
        parser.add_argument(
            "--top-products", type=int, help="keep only the N products with the most reviews"
        )

    def handle(self, *args, path: Path, limit: int | None, top_products: int | None, **options):
        if not path.is_file():
            raise CommandError(f"no such file: {path}")
        try:
            reports = clothing_reviews_import(path=path, limit=limit, top_products=top_products)
        except ImportFailed as exc:
            reports = [exc.report]
        write_reports(self, reports)
