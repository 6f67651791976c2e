"""Aspect extraction: which reviews, what is stored as evidence, where sentiment comes from.

Most tests use a keyword encoder (an embedding that counts each aspect's hint words), so they
are about the service, not the model; the slow test runs the packaged MiniLM on hand-written
reviews whose aspects are known.
"""

from datetime import timedelta

import numpy as np
import pytest
import torch
from django.utils import timezone
from rest_framework.exceptions import ValidationError

from insights.aspect_engine.matching import aspect_hint_terms, words
from insights.models import Aspect, AspectMention
from insights.services import aspects as services
from ml import services as ml_services
from ml.models import Job
from ml.serving import model_cache
from tests.factories.shop import ProductFactory, ReviewFactory

pytestmark = pytest.mark.django_db


class KeywordEncoder:
    """embed(texts): per aspect, how many of its hint words the text holds, L2-normalised."""

    def __init__(self) -> None:
        names = Aspect.objects.values_list("name", flat=True)
        self.terms = [aspect_hint_terms(name) for name in names]

    def embed(self, texts):
        rows = []
        for text in texts:
            present = words(text)
            row = np.array([sum(w in terms for w in present) for terms in self.terms], float)
            norm = np.linalg.norm(row)
            rows.append(row / norm if norm else row)
        return np.array(rows, dtype=np.float32).reshape(len(texts), len(self.terms))


@pytest.fixture(autouse=True)
def _fresh_model_cache():
    model_cache.clear()
    yield
    model_cache.clear()


@pytest.fixture
def keyword_encoder(monkeypatch):
    encoder = KeywordEncoder()
    monkeypatch.setattr(services, "encoder_engine", lambda: encoder)
    return encoder


def review(text, rating=4, **fields):
    return ReviewFactory(text=text, rating=rating, title="", **fields)


def mentions_of(review_obj):
    return sorted(
        AspectMention.objects.filter(review=review_obj).values_list("aspect__name", "sentence")
    )


def test_the_default_aspects_are_seeded_with_descriptions_and_examples():
    names = set(Aspect.objects.values_list("name", flat=True))
    assert names == {
        "fit/size", "quality", "material/fabric", "comfort", "look/style", "colour",
        "price/value", "delivery", "customer service",
    }  # fmt: skip
    fit = Aspect.objects.get(name="fit/size")
    assert fit.description and len(fit.example_list) >= 4


def test_without_a_sentiment_champion_units_take_the_rating_label_and_the_run_says_so(
    keyword_encoder,
):
    bad = review("The fabric is thin. Delivery took three weeks.", rating=1)

    result = services.aspect_mentions_extract()

    assert mentions_of(bad) == [
        ("delivery", "Delivery took three weeks."),
        ("material/fabric", "The fabric is thin."),
    ]
    assert set(AspectMention.objects.values_list("label", "model_version")) == {("negative", None)}
    assert result["sentiment_source"] == "rating"
    assert result["sentiment_fallback_reason"] == "no sentiment champion"
    assert (result["reviews"], result["mentions"]) == (1, 2)


def test_evidence_is_the_reviews_own_sentence_with_its_position(keyword_encoder):
    written = review("Love it. The price is great, but the colour faded after one wash.", rating=3)

    services.aspect_mentions_extract()

    rows = AspectMention.objects.filter(review=written).order_by("sentence_index")
    assert [(m.sentence_index, m.aspect.name, m.sentence) for m in rows] == [
        (1, "price/value", "The price is great"),
        (2, "colour", "the colour faded after one wash."),
    ]
    assert all(m.sentence in written.text for m in rows)
    assert all(0 < m.similarity <= 1 for m in rows)


def test_a_review_without_any_aspect_gets_no_mentions(keyword_encoder):
    review("Bought it for my sister. She was thrilled.")

    result = services.aspect_mentions_extract()

    assert (result["reviews"], result["mentions"]) == (1, 0)
    assert not AspectMention.objects.exists()


def test_re_extracting_given_reviews_replaces_their_mentions(keyword_encoder):
    first = review("The size is perfect.")
    services.aspect_mentions_extract()
    first.text = "The delivery was quick."
    first.save()

    result = services.aspect_mentions_extract(review_ids=[first.pk])

    assert mentions_of(first) == [("delivery", "The delivery was quick.")]
    assert result["mode"] == "ids"
    assert "examined_through_review_id" not in result


def test_a_pending_run_skips_reviews_that_an_earlier_run_examined(keyword_encoder):
    old = review("Bought it for my sister.")
    Job.objects.create(
        kind="aspects_extract",
        status=Job.Status.SUCCEEDED,
        result={"examined_through_review_id": old.pk},
    )
    new = review("The size is perfect.")

    result = services.aspect_mentions_extract()

    assert (result["mode"], result["reviews"]) == ("pending", 1)
    assert result["examined_through_review_id"] == new.pk
    assert mentions_of(new) == [("fit/size", "The size is perfect.")]


def test_a_rebuild_examines_every_review(keyword_encoder):
    old = review("The size is perfect.")
    Job.objects.create(
        kind="aspects_extract",
        status=Job.Status.SUCCEEDED,
        result={"examined_through_review_id": old.pk},
    )

    result = services.aspect_mentions_extract(rebuild=True)

    assert (result["mode"], result["reviews"], result["mentions"]) == ("rebuild", 1, 1)


def test_inactive_aspects_are_not_matched(keyword_encoder):
    Aspect.objects.filter(name="delivery").update(is_active=False)
    written = review("Delivery was quick. The size is perfect.")

    services.aspect_mentions_extract()

    assert mentions_of(written) == [("fit/size", "The size is perfect.")]


def test_without_active_aspects_nothing_is_examined_and_a_later_run_still_sees_the_reviews(
    keyword_encoder,
):
    Aspect.objects.update(is_active=False)
    written = review("The size is perfect.")

    first = services.aspect_mentions_extract()
    Aspect.objects.update(is_active=True)
    second = services.aspect_mentions_extract()

    assert (first["reviews"], "examined_through_review_id" in first) == (0, False)
    assert mentions_of(written) == [("fit/size", "The size is perfect.")]
    assert second["reviews"] == 1


def test_an_aspect_staff_added_is_matched_by_its_own_words(keyword_encoder, monkeypatch):
    Aspect.objects.create(name="pockets", description="The pockets: their size and depth.")
    monkeypatch.setattr(services, "encoder_engine", lambda: KeywordEncoder())
    written = review("The pockets are deep enough for a phone.")

    services.aspect_mentions_extract()

    assert mentions_of(written) == [("pockets", "The pockets are deep enough for a phone.")]


@pytest.fixture
def tiny_sentiment_champion(tmp_path, settings):
    """A randomly initialised 3-class classifier, registered and promoted as champion."""
    from transformers import AutoTokenizer, BertConfig, BertForSequenceClassification

    from ml.training.loading import default_encoder_path

    settings.ML_DEVICE = "cpu"
    settings.STORAGES = {
        **settings.STORAGES,
        "ml_artifacts": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "artifacts")},
        },
    }
    tokenizer = AutoTokenizer.from_pretrained(default_encoder_path())
    labels = {0: "negative", 1: "neutral", 2: "positive"}
    config = BertConfig(
        vocab_size=tokenizer.vocab_size, hidden_size=32, num_hidden_layers=1,
        num_attention_heads=2, intermediate_size=64, max_position_embeddings=128,
        num_labels=3, id2label=labels, label2id={v: k for k, v in labels.items()},
    )  # fmt: skip
    torch.manual_seed(0)
    directory = tmp_path / "tiny-sentiment"
    BertForSequenceClassification(config).save_pretrained(directory)
    tokenizer.save_pretrained(directory)
    version = ml_services.modelversion_register(
        task="sentiment", source_dir=directory, base_model="tiny"
    )
    ml_services.alias_promote(version_id=version.pk)
    return version


def test_with_a_champion_each_unit_is_labelled_by_it_and_the_version_is_recorded(
    keyword_encoder, tiny_sentiment_champion
):
    written = review("The fabric is thin. Delivery took three weeks.", rating=5)

    result = services.aspect_mentions_extract()

    expected_labels = services.sentence_sentiment().labels(
        ["The fabric is thin.", "Delivery took three weeks."]
    )
    rows = AspectMention.objects.filter(review=written).order_by("sentence_index")
    assert [m.label for m in rows] == expected_labels
    assert {m.model_version_id for m in rows} == {tiny_sentiment_champion.pk}
    assert result["sentiment_source"] == "model"
    assert result["sentiment_model_version"] == tiny_sentiment_champion.pk
    assert "sentiment_fallback_reason" not in result


def test_job_params_refuse_ids_and_rebuild_together():
    with pytest.raises(ValidationError):
        ml_services.job_submit(kind="aspects_extract", params={"review_ids": [1], "rebuild": True})
    assert not Job.objects.exists()


# Hand-written reviews and the aspects a reader finds in them.
KNOWN_REVIEWS = [
    (
        "The dress fits perfectly and is true to size. The fabric is soft and breathable. "
        "Delivery took almost three weeks though.",
        {"fit/size", "material/fabric", "delivery"},
    ),
    (
        "Great value for the price. The colour faded after the first wash.",
        {"price/value", "colour"},
    ),
    ("Customer service never answered my emails about a refund.", {"customer service"}),
    ("It is so comfortable that I wear it all day.", {"comfort"}),
    ("The stitching started coming apart within a week.", {"quality"}),
    ("It looks elegant and I got lots of compliments.", {"look/style"}),
    ("I bought it for my mum's birthday.", set()),
]


@pytest.mark.slow
def test_the_packaged_encoder_finds_the_aspects_of_hand_written_reviews(settings):
    settings.ML_ENCODER = "default"
    settings.ML_DEVICE = "cpu"
    product = ProductFactory()
    written = [
        review(text, rating=2, product=product, created_at=timezone.now() - timedelta(days=i))
        for i, (text, _aspects) in enumerate(KNOWN_REVIEWS)
    ]

    services.aspect_mentions_extract()

    found = [set(r.aspects.values_list("aspect__name", flat=True)) for r in written]
    assert found == [aspects for _text, aspects in KNOWN_REVIEWS]
    delivery = AspectMention.objects.get(review=written[0], aspect__name="delivery")
    assert delivery.sentence == "Delivery took almost three weeks though."
