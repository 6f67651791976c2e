import numpy as np
import pytest

from recommendations.engine import create
from recommendations.engine.blender import Blender, BlendSource, BusinessRules
from recommendations.engine.data import InteractionData


@pytest.fixture(scope="module")
def sources():
    data = InteractionData.from_sequences(
        [[0, 1], [0, 1], [0, 2], [3, 4], [3, 4, 5], [6], [6], [6], [6], [7]],
        num_items=8,
        item_embeddings=np.eye(8, dtype=np.float32),
    )
    return [
        BlendSource(create("cooccurrence", window=0, reason="viewed").fit(data), weight=2.0),
        BlendSource(create("popularity").fit(data), weight=1.0, reason="trending"),
    ]


def test_items_carry_the_reason_and_anchor_of_their_main_source(sources):
    top = Blender(sources).recommend([0], k=2)

    assert top[0].item == 1
    assert (top[0].reason, top[0].anchor) == ("viewed", 0)


def test_only_in_stock_and_active_items_are_shown(sources):
    rules = BusinessRules(in_stock=frozenset({1, 2, 6}), active=frozenset({2, 6, 7}))

    top = Blender(sources, rules).recommend([0], k=5)

    assert {r.item for r in top} == {2, 6}


def test_just_bought_items_are_not_shown(sources):
    top = Blender(sources, BusinessRules(just_bought=frozenset({1}))).recommend([0], k=8)

    assert 1 not in {r.item for r in top}
    assert 0 not in {r.item for r in top}  # the history itself


def test_category_diversity_caps_items_per_category(sources):
    category = {1: "a", 2: "a", 3: "a", 4: "a", 5: "b", 6: "a", 7: "b"}
    rules = BusinessRules(item_category=category, max_per_category=1)

    top = Blender(sources, rules).recommend([0], k=5)

    assert [category[r.item] for r in top] == ["a", "b"]


def test_a_boosted_item_rises_and_an_unproposed_one_is_promoted():
    data = InteractionData.from_sequences([[0, 1], [0, 1], [0, 2]], num_items=4)
    model = create("cooccurrence", window=0).fit(data)
    blender = Blender([BlendSource(model, candidates=2)])
    rules = BusinessRules(boost={2: 1.0, 3: 0.01})

    top = blender.recommend([0], k=3, rules=rules)

    assert [r.item for r in top] == [2, 1, 3]
    assert top[2].reason == "promoted"


def test_blender_rejects_bad_rules_and_no_sources():
    with pytest.raises(ValueError):
        BusinessRules(max_per_category=0)
    with pytest.raises(ValueError):
        Blender([])
