"""Load the store's intents, the labelled seed set and the knowledge-base articles, and index
the knowledge base once (the `support_kb_index` job, run in process); with --demo-shopper,
give a demo customer a login for trying the chat widget."""

import os
import secrets
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction
from django.db.models import Count

from ml import services as ml_services
from shop.demo import DEMO_CUSTOMER_PREFIX
from shop.models import Customer
from support import selectors, services


class Command(BaseCommand):
    help = (
        "Create the store's support intents, the seed examples of support/data/"
        "intent_seed.csv and the articles of support/data/kb_articles.json that are missing "
        "(nothing is duplicated or changed), then re-index the knowledge base unless "
        "--no-index."
    )

    def add_arguments(self, parser):
        parser.add_argument("--no-index", action="store_true", help="Skip re-indexing.")
        parser.add_argument(
            "--demo-shopper",
            action="store_true",
            help="Give the demo customer with the most orders the login 'shopper' (password "
            "from SHOPPER_PASSWORD or generated into VAR_DIR/shopper-password.txt) for the "
            "chat widget at /support/chat/.",
        )

    def handle(self, *args, **options):
        if options["demo_shopper"]:
            self.demo_shopper()
        created = services.intent_seed_load()
        articles = services.article_seed_load()
        self.stdout.write(
            f"Support seed: {created['intents']} intent(s), {created['examples']} "
            f"example(s) and {articles} article(s) created."
        )
        if options["no_index"]:
            return
        job = ml_services.job_run_in_process(kind=selectors.KB_INDEX_JOB_KIND, params={})
        if job.status != job.Status.SUCCEEDED:
            self.stderr.write(f"Knowledge-base index job #{job.pk} {job.status}: {job.error}")
            return
        self.stdout.write(
            f"Knowledge base indexed (job #{job.pk}): {job.result['article_passages']} article "
            f"and {job.result['product_passages']} product passage(s)."
        )

    @transaction.atomic
    def demo_shopper(self) -> None:
        """Link a login to the demo customer with the most orders (idempotent)."""
        User = get_user_model()
        password_file = Path(settings.VAR_DIR) / "shopper-password.txt"
        user = User.objects.filter(username="shopper").first()
        if user is None:
            customer = (
                Customer.objects.filter(external_id__startswith=DEMO_CUSTOMER_PREFIX, user=None)
                .annotate(n=Count("orders"))
                .order_by("-n", "pk")
                .first()
            )
            if customer is None:
                self.stdout.write("Demo shopper: no demo customer to sign in as.")
                return
            password = os.environ.get("SHOPPER_PASSWORD") or secrets.token_urlsafe(9)
            customer.user = User.objects.create_user(username="shopper", password=password)
            customer.save(update_fields=["user"])
            if not os.environ.get("SHOPPER_PASSWORD"):  # a configured secret stays off disk
                password_file.write_text(password + "\n")
                password_file.chmod(0o600)
        elif password_file.exists():
            password = password_file.read_text().strip()
        else:
            password = "(unchanged)"  # noqa: S105 - a message, not a password
        self.stdout.write(
            f"Chat widget login (/support/chat/): username 'shopper', password {password}"
        )
