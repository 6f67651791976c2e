"""Hostile and broken import files: wrong encodings, huge fields, binary garbage, formula cells.
Each is a clear, row-numbered error with nothing saved, or (formulas) data that is stored as
typed and escaped when exported to a spreadsheet."""

import csv
import io
import json

import pytest
from django.urls import reverse

from shop.exceptions import ImportFailed
from shop.exports import spreadsheet_safe
from shop.imports import MAX_FIELD_CHARS, MAX_LONG_TEXT, product_import, review_import
from shop.models import Product, Review
from tests.factories.api import StaffFactory, grant
from tests.factories.shop import CustomerFactory, OrderFactory, ProductFactory, ReviewFactory

pytestmark = pytest.mark.django_db

HEADER = "sku,title,price\n"


def errors_of(import_function, path) -> list[tuple[int | None, str, str]]:
    with pytest.raises(ImportFailed) as failure:
        import_function(path=path)
    return [(e.row, e.field, e.message) for e in failure.value.report.errors]


def test_a_windows_1252_file_names_the_line_and_the_fix_and_saves_nothing(tmp_path):
    path = tmp_path / "products.csv"
    path.write_bytes((HEADER + "A-1,Plain,10\nA-2,Caf\xe9 cr\xe8me mug,12\n").encode("cp1252"))

    [(row, _field, message)] = errors_of(product_import, path)

    assert row == 3
    assert "byte 0xe9" in message and "Windows-1252" in message and "as UTF-8" in message
    assert Product.objects.count() == 0


@pytest.mark.parametrize("encoding", ["utf-16", "utf-8-sig"])
def test_unicode_files_from_spreadsheets_import(tmp_path, encoding):
    path = tmp_path / "products.csv"
    path.write_bytes((HEADER + "A-1,Café crème mug,12\n").encode(encoding))

    product_import(path=path)

    assert Product.objects.get().title == "Café crème mug"


def test_a_huge_csv_cell_is_a_row_error_not_a_crash(tmp_path):
    path = tmp_path / "products.csv"
    path.write_text(HEADER + f"A-1,{'x' * (MAX_FIELD_CHARS + 10)},10\n", encoding="utf-8")

    [(row, _field, message)] = errors_of(product_import, path)

    assert row == 2 and "longer than 1,000,000 characters" in message
    assert Product.objects.count() == 0


def test_a_huge_json_line_is_a_row_error_not_a_crash(tmp_path):
    path = tmp_path / "products.jsonl"
    lines = [
        json.dumps({"sku": "A-1", "title": "t" * MAX_FIELD_CHARS, "price": 1}),
        json.dumps({"sku": "A-2", "title": "Fine", "price": 2}),
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")

    [(row, _field, message)] = errors_of(product_import, path)

    assert row == 1 and "longer than 1,000,000 characters" in message
    assert Product.objects.count() == 0


def test_a_long_text_field_is_capped_with_its_row_and_column(tmp_path, write_file):
    ProductFactory(sku="P-1")
    path = tmp_path / "reviews.csv"
    text = "great " * (MAX_LONG_TEXT // 6 + 10)
    path.write_text(
        f"external_id,sku,rating,created_at,text\nr-1,P-1,5,2026-01-02,{text}\n",
        encoding="utf-8",
    )

    [(row, field, message)] = errors_of(review_import, path)

    assert (row, field) == (2, "text") and f"at most {MAX_LONG_TEXT}" in message
    assert Review.objects.count() == 0


def test_binary_garbage_with_nul_characters_is_rejected(tmp_path):
    path = tmp_path / "products.csv"
    path.write_text(HEADER + "A-1,Mug\x00\x00\x01,10\n", encoding="utf-8")

    assert [(r, f) for r, f, _ in errors_of(product_import, path)] == [(2, "title")]
    assert Product.objects.count() == 0


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ("=cmd|' /C calc'!A0", "'=cmd|' /C calc'!A0"),
        (
            '=HYPERLINK("http://evil.example","Click")',
            '\'=HYPERLINK("http://evil.example","Click")',
        ),
        ("+1+1", "'+1+1"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1:A2)", "'@SUM(A1:A2)"),
        ("\t=1+1", "'\t=1+1"),
        ("A nice mug", "A nice mug"),
        ("Mug = cup", "Mug = cup"),
    ],
)
def test_formula_cells_are_escaped_for_spreadsheets(value, cell):
    assert spreadsheet_safe(value) == cell


def test_numbers_stay_numbers_in_an_export():
    from decimal import Decimal

    assert spreadsheet_safe(Decimal("-5.00")) == Decimal("-5.00")
    assert spreadsheet_safe(-3) == -3


def test_a_formula_imported_as_a_title_is_stored_as_typed_and_exported_escaped(client, tmp_path):
    path = tmp_path / "products.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["sku", "title", "price", "description"])
        writer.writerow(["A-1", "=cmd|' /C calc'!A0", "10", '=HYPERLINK("http://x.example")'])
    product_import(path=path)
    product = Product.objects.get()
    assert product.title == "=cmd|' /C calc'!A0"  # data is data: kept exactly as typed

    client.force_login(grant(StaffFactory(), "shop.view_product"))
    response = client.post(
        reverse("admin:shop_product_changelist"),
        {"action": "export_csv", "_selected_action": [product.pk]},
    )

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv"
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    header, row = list(csv.reader(io.StringIO(body)))
    assert header[:2] == ["sku", "title"]
    assert row[header.index("title")] == "'=cmd|' /C calc'!A0"
    assert row[header.index("description")] == '\'=HYPERLINK("http://x.example")'
    assert row[header.index("price")] == "10.00"


@pytest.mark.parametrize(
    ("model", "factory"),
    [("customer", CustomerFactory), ("order", OrderFactory), ("review", ReviewFactory)],
)
def test_the_other_store_lists_export_too(client, model, factory):
    obj = factory()
    client.force_login(grant(StaffFactory(), f"shop.view_{model}"))

    response = client.post(
        reverse(f"admin:shop_{model}_changelist"),
        {"action": "export_csv", "_selected_action": [obj.pk]},
    )

    assert response.status_code == 200 and response["Content-Type"] == "text/csv"
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    assert len(list(csv.reader(io.StringIO(body)))) == 2
