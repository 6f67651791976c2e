"""The store's intents and labelled seed set: loaded by the migration, reloadable, varied."""

import pytest
from django.core.management import call_command

from support.models import Intent, IntentExample
from support.seed import INTENTS, read_seed_examples

pytestmark = pytest.mark.django_db

STORE_INTENTS = {
    "order_status",
    "delivery_time",
    "return_request",
    "refund",
    "exchange_size_change",
    "product_question",
    "size_advice",
    "payment_problem",
    "complaint",
    "account",
    "talk_to_human",
    "greeting_other",
}


def test_the_migration_loads_every_store_intent_with_at_least_25_seed_examples():
    counts = {
        intent.key: intent.examples.filter(source=IntentExample.Source.SEED).count()
        for intent in Intent.objects.all()
    }

    assert set(counts) == STORE_INTENTS
    assert min(counts.values()) >= 25
    assert IntentExample.objects.count() == len(read_seed_examples())


def test_only_greeting_or_other_is_out_of_scope():
    assert list(Intent.objects.filter(is_out_of_scope=True).values_list("key", flat=True)) == [
        "greeting_other"
    ]


def test_the_seed_file_has_no_duplicate_texts_and_only_known_intents():
    rows = read_seed_examples()
    normalised = [" ".join(text.lower().split()).strip("?!. ") for text, _ in rows]

    assert len(set(normalised)) == len(rows)
    assert {key for _, key in rows} == {spec.key for spec in INTENTS}


def test_support_seed_is_idempotent_and_restores_deleted_seed_rows(capsys):
    IntentExample.objects.filter(text="Where is my order?").delete()
    total = len(read_seed_examples())

    call_command("support_seed", "--no-index")
    call_command("support_seed", "--no-index")

    assert IntentExample.objects.count() == total
    out = capsys.readouterr().out.splitlines()
    assert out == [
        "Support seed: 0 intent(s), 1 example(s) and 9 article(s) created.",
        "Support seed: 0 intent(s), 0 example(s) and 0 article(s) created.",
    ]


def test_support_seed_keeps_staff_edits_of_intents():
    Intent.objects.filter(key="refund").update(name="Money back")

    call_command("support_seed", "--no-index")

    assert Intent.objects.get(key="refund").name == "Money back"


def test_demo_shopper_gets_a_login_to_the_busiest_demo_customer(capsys, settings, tmp_path):
    from django.contrib.auth import authenticate

    from tests.factories.shop import CustomerFactory, OrderFactory

    settings.VAR_DIR = tmp_path
    quiet = CustomerFactory(external_id="demo-1", user=None)
    busy = CustomerFactory(external_id="demo-2", user=None)
    OrderFactory.create_batch(2, customer=busy)
    OrderFactory(customer=quiet)

    call_command("support_seed", "--demo-shopper", "--no-index")
    call_command("support_seed", "--demo-shopper", "--no-index")  # idempotent

    password = (tmp_path / "shopper-password.txt").read_text().strip()
    busy.refresh_from_db()
    assert busy.user is not None and busy.user.username == "shopper"
    assert authenticate(username="shopper", password=password) == busy.user
    assert capsys.readouterr().out.count(f"password {password}") == 2
