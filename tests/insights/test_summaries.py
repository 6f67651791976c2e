"""Review summaries: points come from aspect evidence and trace back to reviews; generated
phrasings are kept only when they stay within that evidence."""

from datetime import timedelta

import pytest
from django.utils import timezone

from insights.aspect_engine.summaries import Evidence, SummaryPoint, phrasing_traces
from insights.models import Aspect, AspectMention, ProductReviewSummary
from insights.selectors import aspects as selectors
from insights.services import aspects as services
from insights.tasks.aspects import review_summaries_nightly
from ml.models import Job
from tests.factories.shop import ProductFactory, ReviewFactory

pytestmark = pytest.mark.django_db

# (aspect, label, sentence) opinions of each review of the product.
REVIEWS = [
    [("fit/size", "negative", "It runs small."), ("material/fabric", "positive", "Soft fabric.")],
    [("fit/size", "negative", "Runs really small, size up.")],
    [("fit/size", "negative", "Much too small on me."), ("colour", "positive", "Lovely colour.")],
    [("material/fabric", "positive", "The fabric is soft and thick.")],
    [("material/fabric", "positive", "Beautiful soft fabric."), ("delivery", "negative", "Slow.")],
    [("colour", "neutral", "The colour is as pictured.")],
]


def build_product(reviews=REVIEWS):
    product = ProductFactory()
    aspects = {aspect.name: aspect for aspect in Aspect.objects.all()}
    created = []
    for index, opinions in enumerate(reviews):
        review = ReviewFactory(
            product=product,
            text=" ".join(sentence for _a, _l, sentence in opinions),
            created_at=timezone.now() - timedelta(days=index),
        )
        created.append(review)
        for position, (aspect, label, sentence) in enumerate(opinions):
            AspectMention.objects.create(
                review=review,
                aspect=aspects[aspect],
                sentence=sentence,
                sentence_index=position,
                label=label,
                similarity=0.7,
            )
    return product, created


def assert_traces_to_reviews(product, summary):
    for side, label in (("pros", "positive"), ("cons", "negative")):
        for point in getattr(summary, side):
            backing = set(
                AspectMention.objects.filter(
                    review__product=product, aspect__name=point["aspect"], label=label
                ).values_list("review_id", flat=True)
            )
            assert set(point["review_ids"]) == backing
            assert point["count"] == len(point["review_ids"])
            for item in point["evidence"]:
                assert AspectMention.objects.filter(
                    review_id=item["review_id"],
                    aspect__name=point["aspect"],
                    label=label,
                    sentence=item["sentence"],
                ).exists()


def test_an_extractive_summary_lists_pros_and_cons_that_trace_back_to_reviews():
    product, reviews = build_product()

    summary = services.product_summary_build(product_id=product.pk)

    assert [(p["aspect"], p["count"]) for p in summary.pros] == [("material/fabric", 3)]
    assert [(p["aspect"], p["count"]) for p in summary.cons] == [("fit/size", 3)]
    assert summary.cons[0]["text"] == 'fit/size: "It runs small."'
    assert summary.cons[0]["source"] == "extractive"
    assert summary.text.startswith('Pros:\n- material/fabric: "')
    assert (summary.reviews_covered, summary.generator) == (len(reviews), "extractive")
    assert_traces_to_reviews(product, summary)


def test_generated_phrasings_are_kept_only_when_they_trace_back_to_the_evidence():
    product, _reviews = build_product()

    def phraser(points):
        return [
            "Customers find the fabric soft."
            if p.aspect == "material/fabric"
            # An invented claim about a zip the reviews never mention.
            else "The fit is small and the zip breaks."
            for p in points
        ]

    summary = services.product_summary_build(
        product_id=product.pk, phraser=phraser, phraser_label="fake"
    )

    assert (summary.pros[0]["text"], summary.pros[0]["source"]) == (
        "Customers find the fabric soft.",
        "generated",
    )
    assert summary.cons[0]["source"] == "extractive"
    assert summary.generator == "fake; 1/2 points generated"
    assert_traces_to_reviews(product, summary)


def test_the_product_summary_selector_gives_the_stored_summary_or_none():
    product, _reviews = build_product()
    assert selectors.product_summary(product_id=product.pk) is None

    services.product_summary_build(product_id=product.pk)

    summary = selectors.product_summary(product_id=product.pk)
    assert set(summary) == {"pros", "cons", "text", "reviews_covered", "generator", "generated_at"}
    assert set(summary["cons"][0]) == {
        "aspect", "text", "count", "review_ids", "evidence", "source",
    }  # fmt: skip


def test_summaries_are_rebuilt_only_when_enough_new_reviews_arrive():
    product, _reviews = build_product()
    first = services.review_summaries_build(use_generator=False)
    ReviewFactory.create_batch(1, product=product)
    fresh = services.review_summaries_build(use_generator=False)
    ReviewFactory.create_batch(10, product=product)
    stale = services.review_summaries_build(use_generator=False)

    assert (first["products"], fresh["products"], stale["products"]) == (1, 0, 1)
    assert ProductReviewSummary.objects.get().reviews_covered == len(REVIEWS) + 11


def test_products_without_aspect_opinions_get_no_summary():
    ReviewFactory.create_batch(3)

    result = services.review_summaries_build(use_generator=False)

    assert result["products"] == 0
    assert not ProductReviewSummary.objects.exists()


def test_forcing_rebuilds_the_given_products_even_when_fresh():
    product, _reviews = build_product()
    services.review_summaries_build(use_generator=False)

    result = services.review_summaries_build(
        product_ids=[product.pk], force=True, use_generator=False
    )

    assert result["products"] == 1


def test_an_unloadable_generator_leaves_extractive_summaries_and_says_why(settings, tmp_path):
    product, _reviews = build_product()
    settings.ML_GENERATOR = str(tmp_path / "missing-generator")

    result = services.review_summaries_build()

    assert "missing-generator" in result["generator_unavailable"]
    assert result["generated_points"] == 0
    assert ProductReviewSummary.objects.get(product=product).generator == "extractive"


@pytest.fixture
def tiny_generator(settings, tmp_path):
    from tests.ml.training.conftest import build_tiny_causal_lm

    settings.ML_GENERATOR = str(build_tiny_causal_lm(tmp_path / "tiny-generator"))
    settings.ML_DEVICE = "cpu"
    services._generator_engine.cache_clear()
    yield
    services._generator_engine.cache_clear()


def test_a_tiny_random_generator_runs_end_to_end_and_its_babble_is_refused(tiny_generator):
    product, _reviews = build_product()

    result = services.review_summaries_build()

    summary = ProductReviewSummary.objects.get(product=product)
    assert result["points"] == 2
    assert result["generated_points"] == 0
    assert "greedy, seed 0" in summary.generator and "0/2 points generated" in summary.generator
    assert_traces_to_reviews(product, summary)


def test_the_nightly_beat_task_submits_the_summary_job():
    job = Job.objects.get(pk=review_summaries_nightly())
    assert (job.kind, job.params["use_generator"]) == ("review_summaries", True)


@pytest.mark.slow
def test_the_packaged_generator_phrases_points_that_trace_back_to_reviews(settings):
    settings.ML_GENERATOR = "default"
    settings.ML_DEVICE = "cpu"
    product, _reviews = build_product()

    result = services.review_summaries_build()

    summary = ProductReviewSummary.objects.get(product=product)
    assert result["points"] == 2
    assert "gemma" in summary.generator.lower()
    assert_traces_to_reviews(product, summary)
    for point in summary.pros + summary.cons:
        if point["source"] == "generated":
            assert phrasing_traces(point["text"], stored_point(point)).ok
        else:
            assert point["text"] == f'{point["aspect"]}: "{point["evidence"][0]["sentence"]}"'


def stored_point(stored: dict) -> SummaryPoint:
    return SummaryPoint(
        aspect=stored["aspect"],
        polarity="",
        count=stored["count"],
        review_ids=tuple(stored["review_ids"]),
        evidence=tuple(
            Evidence(e["review_id"], stored["aspect"], "", e["sentence"])
            for e in stored["evidence"]
        ),
    )
