"""Search insights: normalisation, topics by meaning (the real packaged encoder), the rising
rule on constructed weekly counts, the unmet-demand rule on a constructed catalogue, and the
run on a small constructed store."""

from datetime import timedelta

import numpy as np
import pytest
from django.utils import timezone

from insights.models import SearchInsightRun, SearchTopic
from insights.search_engine.topics import RisingRule, normalise_query, topics_group
from insights.search_engine.unmet import content_words, unmet_verdicts
from insights.services import search_insights as services
from ml.serving import encoder_engine
from shop.models import Event
from tests.factories.shop import CategoryFactory, ProductFactory

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def embed():
    return encoder_engine().embed


def test_queries_are_normalised():
    assert normalise_query("  Red   DRESS!! ") == "red dress"
    assert normalise_query("ｒｅｄ dress") == "red dress"
    assert normalise_query("?!") == ""


def weekly(*counts):
    return list(counts)


def test_paraphrases_share_a_topic_and_unrelated_queries_do_not(embed):
    queries = ["red dress", "dresses in red", "running shoes", "sneakers for running",
               "garden hose", "warm winter coat", "jacket for winter"]  # fmt: skip
    counts = {q: weekly(1, 1) for q in queries}
    counts["red dress"] = weekly(5, 5)

    topics = topics_group(queries, embed(queries), counts, max_distance=services.TOPIC_DISTANCE)

    groups = {frozenset(q for q, _n in topic.queries) for topic in topics}
    assert frozenset({"red dress", "dresses in red"}) in groups
    assert frozenset({"running shoes", "sneakers for running"}) in groups
    assert frozenset({"warm winter coat", "jacket for winter"}) in groups
    assert frozenset({"garden hose"}) in groups
    top = topics[0]
    assert top.label == "red dress"
    assert top.volume == 12
    assert top.weekly == [6, 6]


@pytest.mark.parametrize(
    ("counts", "rising"),
    [
        ((2, 2, 2, 2, 8), True),  # (8 + 1) / (2 + 1) = 3
        ((4, 4, 4, 4, 7), False),  # (7 + 1) / (4 + 1) = 1.6 < 1.7
        ((0, 0, 0, 0, 2), False),  # too few searches this week
        ((0, 0, 0, 0, 3), True),  # new this week: (3 + 1) / 1 = 4
        ((9, 9, 9, 9, 9), False),
        ((9, 9, 9, 9, 0), False),
    ],
)
def test_rising_rule_on_constructed_weekly_counts(counts, rising):
    rule = RisingRule(baseline_weeks=4, ratio=1.7, min_volume=3)

    this_week, mean, growth, is_rising = rule.measure(counts)

    assert this_week == counts[-1]
    assert mean == pytest.approx(sum(counts[:-1]) / 4)
    assert growth == pytest.approx((counts[-1] + 1) / (mean + 1))
    assert is_rising is rising


def test_rising_rule_uses_only_the_baseline_weeks_before_this_week():
    rule = RisingRule(baseline_weeks=2, ratio=1.5, min_volume=1)

    assert rule.measure([100, 100, 1, 1, 4])[1:] == (1.0, 2.5, True)


def test_content_words_drop_stop_words_and_fold_plurals():
    assert content_words("The best Red Dresses for me") == {"red", "dress"}


def test_unmet_rule_needs_both_no_meaning_match_and_no_word_match(embed):
    products = ["Floral summer dress — Dresses", "Slim fit jeans — Jeans", "Wool coat — Coats"]
    queries = ["dresses", "denim trousers", "lawn mower", "laptop charger", "mower jeans"]

    verdicts = {
        v.query: v
        for v in unmet_verdicts(
            queries, embed(queries), products, embed(products), threshold=services.UNMET_THRESHOLD
        )  # fmt: skip
    }

    assert not verdicts["dresses"].unmet and verdicts["dresses"].word_match
    assert not verdicts["denim trousers"].unmet  # close in meaning, no shared word needed
    assert verdicts["denim trousers"].best_similarity >= services.UNMET_THRESHOLD
    assert verdicts["lawn mower"].unmet and verdicts["laptop charger"].unmet
    assert not verdicts["mower jeans"].word_match  # every word must be in one product


def test_a_query_far_in_meaning_is_met_when_a_product_holds_all_its_words():
    products = ["Zorblax widget — Gadgets"]
    query = np.array([[1.0, 0.0]])
    product = np.array([[0.0, 1.0]])

    (verdict,) = unmet_verdicts(["zorblax"], query, products, product, threshold=0.35)

    assert verdict.word_match and not verdict.unmet


def search(query: str, *, days_ago: float, session: str = "s") -> Event:
    return Event.objects.create(
        kind=Event.Kind.SEARCH,
        session_id=session,
        query=query,
        occurred_at=timezone.now() - timedelta(days=days_ago),
    )


@pytest.mark.django_db
def test_the_run_stores_topics_rising_topics_and_unmet_demand(embed):
    dresses = CategoryFactory(name="Dresses", slug="dresses")
    ProductFactory(title="Floral summer dress", category=dresses)
    ProductFactory(title="Red evening dress", category=dresses)
    for day in (1, 2, 3, 4, 5, 6):  # this week: a surge of red dresses
        search("Red dress", days_ago=day)
        search("red dresses", days_ago=day)
    for week in (1, 2, 3):
        search("red dress", days_ago=7 * week + 2)
        search("lawn mower", days_ago=7 * week + 3)
        search("lawn mowers", days_ago=7 * week + 1)
    search("Lawn mower", days_ago=0.5)
    search("garden hose", days_ago=30)
    search("", days_ago=1)  # no query: not counted

    result = services.search_insights_compute(weeks=5, embed=embed)

    run = SearchInsightRun.objects.get()
    assert result.run == run
    assert run.searches == 12 + 3 + 6 + 1 + 1
    assert run.weekly_volume == [1, 3, 3, 3, 13]
    topics = {t.label: t for t in SearchTopic.objects.filter(run=run, kind="topic")}
    red = topics["red dress"]
    assert (red.volume, red.this_week, red.baseline_mean, red.rising) == (15, 12, 0.75, True)
    assert {q for q, _n in red.examples} == {"red dress", "red dresses"}
    unmet = {t.label: t for t in SearchTopic.objects.filter(run=run, kind="unmet")}
    assert set(unmet) == {"lawn mower", "garden hose"}
    assert unmet["lawn mower"].volume == 7
    assert unmet["lawn mower"].best_similarity < services.UNMET_THRESHOLD
    assert sum(run.weekly_unmet) == 8


@pytest.mark.django_db
def test_a_run_without_searches_is_stored_empty_with_a_note(embed):
    result = services.search_insights_compute(weeks=4, embed=embed)

    assert result.topics == 0 and result.unmet == 0
    assert "No searches" in result.run.notes
    assert result.run.weekly_volume == [0, 0, 0, 0]


@pytest.mark.django_db
def test_bad_parameters_are_refused_and_nothing_is_saved(embed):
    with pytest.raises(ValueError, match="weeks"):
        services.search_insights_compute(weeks=1, embed=embed)

    assert not SearchInsightRun.objects.exists()
