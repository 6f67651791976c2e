"""The knowledge base: articles split into passages, product facts, the index job, the
in-memory matrix that follows re-indexing, and the seed articles."""

import json
from decimal import Decimal

import numpy as np
import pytest
from django.core.management import call_command

from ml import services as ml_services
from ml.models import Job
from support import selectors, services
from support.knowledge import PassageIndex, product_passage, split_passages
from support.models import Article, Passage
from tests.factories.api import CategoryFactory, ProductFactory

pytestmark = pytest.mark.django_db


def test_articles_split_by_paragraph_and_long_paragraphs_between_sentences():
    body = "First paragraph. Still first.\n\n" + " ".join(
        f"Sentence number {i} of a long paragraph." for i in range(30)
    )

    passages = split_passages("Returns", body, max_chars=200)

    assert passages[0] == "Returns: First paragraph. Still first."
    assert len(passages) > 3
    assert all(p.startswith("Returns: ") and len(p) <= 200 + len("Returns: ") for p in passages)
    rejoined = " ".join(p.removeprefix("Returns: ") for p in passages[1:])
    assert rejoined == " ".join(f"Sentence number {i} of a long paragraph." for i in range(30))


def test_product_passage_states_the_catalogue_facts():
    text = product_passage(
        {
            "title": "Linen shirt",
            "category": "Shirts",
            "price": Decimal("45.00"),
            "currency": "GBP",
            "stock": 0,
            "attributes": {"colour": "blue", "material": "linen"},
            "description": "",
        }
    )

    assert text == (
        "Product: Linen shirt. Category: Shirts. Price: 45.00 GBP. Out of stock. "
        "Colour: blue. Material: linen."
    )


def test_index_returns_top_k_above_the_threshold_best_first():
    matrix = np.array([[1, 0, 0], [0.8, 0.6, 0], [0, 0, 1]], dtype=np.float32)
    index = PassageIndex([10, 11, 12], matrix)

    hits = index.search(np.array([1, 0.1, 0]), k=2, threshold=0.5)

    assert [hit.passage_id for hit in hits] == [10, 11]
    assert hits[0].score > hits[1].score >= 0.5
    assert index.search(np.array([0, 1, 0]), k=3, threshold=0.7) == []


def test_index_rejects_a_query_of_another_size():
    index = PassageIndex([1], np.ones((1, 3)))

    with pytest.raises(ValueError, match="dimensions"):
        index.search(np.ones(4), k=1, threshold=0.0)


def test_rebuild_indexes_published_articles_and_active_products(tiny_encoder):
    article = Article.objects.create(title="Returns policy", topic="returns", body="A.\n\nB.")
    Article.objects.create(title="Draft", topic="other", body="Secret plans.", is_published=False)
    product = ProductFactory(category=CategoryFactory(name="Shirts"))
    ProductFactory(is_active=False)

    result = services.knowledge_index_rebuild()

    assert result["article_passages"] == 2
    assert result["product_passages"] == 1
    assert set(Passage.objects.values_list("kind", "article_id", "product_id")) == {
        ("article", article.pk, None),
        ("product", None, product.pk),
    }
    assert not Passage.objects.filter(text__contains="Secret").exists()


def test_reindex_job_replaces_the_index_and_the_matrix_follows(tiny_encoder):
    article = Article.objects.create(title="Care", topic="care", body="Wash cold.")
    ml_services.job_run_in_process(kind=selectors.KB_INDEX_JOB_KIND, params={})
    first = selectors.knowledge_retrieve("Care: Wash cold.", threshold=0.99)
    article.body = "Dry flat.\n\nIron on low."
    article.save()

    job = ml_services.job_run_in_process(kind=selectors.KB_INDEX_JOB_KIND, params={})
    second = selectors.knowledge_retrieve("Care: Iron on low.", threshold=0.99)

    assert job.status == Job.Status.SUCCEEDED
    assert job.metrics == {"article_passages": 2, "product_passages": 0}
    assert [hit.passage.text for hit in first] == ["Care: Wash cold."]
    assert [hit.passage.text for hit in second] == ["Care: Iron on low."]
    assert Passage.objects.count() == 2


def test_nothing_indexed_retrieves_nothing(tiny_encoder):
    assert selectors.knowledge_retrieve("where is my parcel", threshold=-1.0) == []


def test_seed_articles_cover_the_topics_and_state_the_return_window(settings):
    rows = json.loads(services.KB_SEED_FILE.read_text())

    created = services.article_seed_load()

    assert created == len(rows) == Article.objects.count()
    assert {row["topic"] for row in rows} == {"shipping", "returns", "payment", "sizing", "care",
                                              "other"}  # fmt: skip
    returns = Article.objects.get(title="Returns policy").body
    assert f"within {settings.SUPPORT_RETURN_WINDOW_DAYS} days of the order date" in returns
    assert services.article_seed_load() == 0


def test_support_seed_command_loads_and_indexes(tiny_encoder, capsys):
    call_command("support_seed")

    out = capsys.readouterr().out
    assert "9 article(s) created" in out
    assert "Knowledge base indexed" in out
    assert Passage.objects.filter(kind="article").count() >= 9


def test_reindex_from_the_admin_queues_the_job(admin_client):
    response = admin_client.post("/admin/support/article/reindex/")

    assert response.status_code == 302
    assert Job.objects.get().kind == "support_kb_index"


def test_the_nightly_beat_entry_submits_the_reindex_job(settings):
    from support.tasks import support_kb_index_nightly

    entry = settings.CELERY_BEAT_SCHEDULE["nightly-support-kb-index"]
    job_id = support_kb_index_nightly()

    assert entry["task"] == "support.kb_index_nightly"
    assert Job.objects.get(pk=job_id).kind == "support_kb_index"
