"""Import the UCI Online Retail CSV as products, customers and orders."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from shop.exceptions import ImportFailed
from shop.imports import online_retail_import
from shop.management.commands.import_store import write_reports


class Command(BaseCommand):
    help = (
        "Import an Online Retail CSV (InvoiceNo, StockCode, Description, Quantity, InvoiceDate, "
        "UnitPrice, CustomerID, Country): stock codes become products, customer ids customers "
        "OR-<id>, invoices orders (C... invoices are cancellations). Idempotent."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path)
        parser.add_argument(
            "--limit",
            type=int,
            help="read only the first N data rows (finishing the invoice at row N)",
        )

    def handle(self, *args, path: Path, limit: int | None, **options):
        if not path.is_file():
            raise CommandError(f"no such file: {path}")
        try:
            reports = online_retail_import(path=path, limit=limit)
        except ImportFailed as exc:
            reports = [exc.report]
        write_reports(self, reports)
