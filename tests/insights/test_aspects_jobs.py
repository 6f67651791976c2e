"""The aspect extraction job on a real Celery worker."""

import numpy as np
import pytest

from insights.aspect_engine.matching import aspect_hint_terms, words
from insights.models import Aspect, AspectMention
from insights.services import aspects as services
from ml import services as ml_services
from ml.models import Job
from tests.factories.shop import ReviewFactory

pytestmark = [
    pytest.mark.celery_worker,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def keyword_encoder(monkeypatch):
    """An embedding that counts each aspect's hint words (the worker runs in this process)."""
    terms = [aspect_hint_terms(name) for name in Aspect.objects.values_list("name", flat=True)]

    class KeywordEncoder:
        def embed(self, texts):
            rows = np.array(
                [[sum(w in t for w in words(text)) for t in terms] for text in texts], float
            ).reshape(len(texts), len(terms))
            norms = np.linalg.norm(rows, axis=1, keepdims=True)
            return (rows / np.where(norms == 0, 1, norms)).astype(np.float32)

    monkeypatch.setattr(services, "encoder_engine", KeywordEncoder)


def test_the_extraction_job_runs_on_the_gpu_queue_and_records_what_it_did(
    keyword_encoder, celery_worker_thread, wait_for
):
    reviews = [
        ReviewFactory(title="", text="The size is perfect. Delivery was slow.", rating=2),
        ReviewFactory(title="", text="Bought it for my sister.", rating=5),
    ]

    job = ml_services.job_submit(kind="aspects_extract")
    done = wait_for(
        lambda: Job.objects.filter(pk=job.pk, status__in=["succeeded", "failed"]).first(),
        timeout=60,
    )

    assert done.status == Job.Status.SUCCEEDED, done.error
    assert done.queue == "gpu"
    assert done.metrics == {"reviews": 2, "units": 3, "mentions": 2}
    assert done.result["sentiment_source"] == "rating"
    assert done.result["examined_through_review_id"] == reviews[-1].pk
    assert set(AspectMention.objects.values_list("aspect__name", "label")) == {
        ("fit/size", "negative"),
        ("delivery", "negative"),
    }
