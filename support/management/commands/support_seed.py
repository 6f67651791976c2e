"""Load the store's intents, the labelled seed set and the knowledge-base articles, and index
the knowledge base once (the `support_kb_index` job, run in process)."""

from django.core.management.base import BaseCommand

from ml import services as ml_services
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

    def handle(self, *args, **options):
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
