"""Load the store's intents and the labelled seed set (support/data/intent_seed.csv)."""

from django.core.management.base import BaseCommand

from support import services


class Command(BaseCommand):
    help = (
        "Create the store's support intents and the seed examples of support/data/"
        "intent_seed.csv that are missing. Safe to run again: nothing is duplicated or changed."
    )

    def handle(self, *args, **options):
        created = services.intent_seed_load()
        self.stdout.write(
            f"Support seed: {created['intents']} intent(s) and {created['examples']} "
            "example(s) created."
        )
