import numpy as np
import pytest

from recommendations.engine import create, load, names
from recommendations.engine.base import NotFitted
from recommendations.engine.data import InteractionData, leave_one_out


def tiny_embeddings():
    # Items 0-2 point one way, 3-4 another, 5 (never interacted with) sits next to item 0.
    return np.array(
        [[1, 0, 0], [0.9, 0.1, 0], [0.8, 0.2, 0], [0, 1, 0], [0, 0.9, 0.1], [0.99, 0.01, 0]],
        dtype=np.float32,
    )


def tiny_data():
    return InteractionData.from_sequences(
        [[0, 1, 2], [0, 1], [3, 4], [3, 4, 0], [0, 1, 2, 3]],
        num_items=6,
        timestamps=[[1, 2, 3], [1, 2], [8, 9], [7, 8, 9], [1, 2, 3, 4]],
        item_embeddings=tiny_embeddings(),
    )


def test_registry_lists_every_recommender():
    assert names() == ["als", "content", "cooccurrence", "popularity", "sequential", "trending"]


def test_create_rejects_an_unknown_name_and_an_unknown_parameter():
    with pytest.raises(ValueError, match="Unknown recommender"):
        create("random")
    with pytest.raises(ValueError, match="windw"):
        create("cooccurrence", windw=3)


def test_score_before_fit_raises_not_fitted():
    with pytest.raises(NotFitted):
        create("popularity").recommend([0])


def test_popularity_ranks_by_event_count():
    model = create("popularity").fit(tiny_data())

    assert [r.item for r in model.recommend([], k=3)] == [0, 1, 3]


def test_trending_prefers_recent_items_over_all_time_favourites():
    data = tiny_data()
    model = create("trending", half_life=1.0, window=3.0).fit(data)

    top = model.recommend([], k=1)

    assert top[0].item == 4
    assert top[0].reason == "trending"
    assert create("popularity").fit(data).recommend([], k=1)[0].item == 0


def test_recommend_leaves_out_the_history_and_the_excluded_items():
    model = create("popularity").fit(tiny_data())

    top = model.recommend([0], k=3, exclude=[1])

    assert [r.item for r in top] == [3, 2, 4]


def test_cooccurrence_finds_the_planted_pair_and_names_its_anchor():
    rng = np.random.default_rng(0)
    sequences = [rng.choice(20, size=4, replace=False).tolist() for _ in range(200)]
    sequences += [[7, 13]] * 30  # the planted "bought together" pair
    data = InteractionData.from_sequences(sequences, num_items=20)
    model = create("cooccurrence", window=0, shrink=1.0).fit(data)

    top = model.recommend([5, 7], k=1)

    assert top[0].item == 13
    assert top[0].anchor == 7
    assert top[0].reason == "bought_with"


def test_cooccurrence_anchor_is_the_history_item_with_the_largest_vote(tmp_path):
    rng = np.random.default_rng(1)
    data = InteractionData.from_sequences(
        [rng.choice(40, size=6, replace=False).tolist() for _ in range(300)], num_items=40
    )
    fitted = create("cooccurrence", window=2, history_length=4).fit(data)
    fitted.save(tmp_path / "model")
    for model in (fitted, load(tmp_path / "model")):
        for _ in range(20):
            history = rng.choice(40, size=6, replace=False)
            items = rng.choice(40, size=15, replace=False)
            # The definition, by slicing the similarity matrix.
            recent = history[-4:][::-1]
            votes = model.similarity[recent][:, items].toarray() * 0.5 ** np.arange(4)[:, None]
            expected = [
                int(recent[votes[:, j].argmax()]) if votes[:, j].max() > 0 else None
                for j in range(len(items))
            ]

            assert model.anchors(history.tolist(), items.tolist()) == expected


def assert_ranked_like_every_row(model, histories, cases):
    """model.ranked_batch (a recommender's own shortcut) against the base class's ranking of
    every row of score_batch, for each (k, exclude, exclude_history); returns the lists."""
    from recommendations.engine.base import Recommender, as_histories

    found = []
    for k, exclude, exclude_history in cases:
        shortcut = model.ranked_batch(histories, k, exclude, exclude_history)
        generic = Recommender._ranked(
            model, as_histories(histories), k, np.asarray(exclude, np.int64), exclude_history
        )
        assert shortcut == generic
        found.append(shortcut)
    return found


@pytest.mark.parametrize("name", ["popularity", "trending"])
def test_same_for_everyone_lists_equal_ranking_every_row(name):
    rng = np.random.default_rng(2)
    # Few distinct counts, so the ranking is full of ties that the item index must break.
    data = InteractionData.from_sequences(
        [rng.choice(30, size=3, replace=False).tolist() for _ in range(40)], num_items=30
    )
    model = create(name).fit(data)
    histories = [rng.choice(30, size=n, replace=False).tolist() for n in (0, 1, 5, 12, 29)]

    assert_ranked_like_every_row(
        model, histories, [(5, [], True), (10, [3, 4], True), (8, [1], False)]
    )


@pytest.mark.parametrize("normalisation", ["cosine", "none"])
def test_cooccurrence_lists_equal_ranking_every_row(normalisation):
    rng = np.random.default_rng(3)
    # Short sequences over few items: many items share a vote or a backfill, and some are
    # never seen (backfill 0), so the item index breaks many ties.
    data = InteractionData.from_sequences(
        [rng.choice(40, size=rng.integers(2, 5), replace=False).tolist() for _ in range(60)],
        num_items=50,
    )
    model = create("cooccurrence", normalisation=normalisation).fit(data)
    histories = [rng.choice(50, size=n, replace=False).tolist() for n in (0, 1, 3, 7, 45)]
    cases = [(5, [], True), (12, [3, 4], True), (50, [1], False)]

    lists = assert_ranked_like_every_row(model, histories, cases)

    for (k, exclude, exclude_history), ranked in zip(cases, lists, strict=True):
        banned = set(exclude) | (set(histories[-1]) if exclude_history else set())
        assert len(ranked[-1][0]) == min(k, 50 - len(banned))  # every allowed item, when few


def test_content_returns_the_nearest_embedding():
    model = create("content").fit(tiny_data())

    top = model.recommend([3], k=1)

    assert top[0].item == 4
    assert top[0].anchor == 3
    assert top[0].reason == "similar"


def test_content_serves_an_item_nobody_has_interacted_with():
    model = create("content").fit(tiny_data())

    assert model.recommend([0], k=1)[0].item == 5


def test_content_needs_embeddings():
    with pytest.raises(ValueError, match="item_embeddings"):
        create("content").fit(InteractionData.from_sequences([[0, 1]]))


def test_als_recommends_within_the_users_block():
    # Two communities: items 0-4 and 5-9; each user interacts within one community only.
    rng = np.random.default_rng(1)
    sequences = [rng.choice(5, 3, replace=False) + 5 * (u % 2) for u in range(60)]
    data = InteractionData.from_sequences(sequences, num_items=10)
    model = create("als", factors=4, iterations=10, regularization=0.1).fit(data)

    top = model.recommend([6, 7], k=3)

    assert {r.item for r in top} == {5, 8, 9}


def test_sequential_learns_a_deterministic_next_item_pattern():
    # Two chains: 0 -> 1 -> 2 -> 3 and 4 -> 5 -> 6 -> 7, entered at random points.
    rng = np.random.default_rng(0)
    sequences = []
    for _ in range(300):
        chain = rng.integers(2)
        start = rng.integers(2)
        sequences.append([4 * chain + i for i in range(start, 4)])
    data = InteractionData.from_sequences(sequences, num_items=8)
    split = leave_one_out(InteractionData.from_sequences(sequences[:50], num_items=8))
    model = create(
        "sequential",
        hidden=16,
        max_length=4,
        dropout=0.1,
        epochs=40,
        batch_size=32,
        lr=5e-3,
        patience=100,
        device="cpu",
        num_threads=1,
    ).fit(data, validation=split.valid)

    assert model.recommend([0, 1], k=1)[0].item == 2
    assert model.recommend([4], k=1)[0].item == 5
    assert model.recommend([5, 6], k=1)[0].item == 7


def successor_data(seed: int = 0, users: int = 240, items: int = 30):
    """Sequences of three items where each item has one fixed successor: i -> (7i + 3) % 30.

    An item-to-item model learns this from one pass; a transformer trained for one epoch
    does not, so the fused model must choose a positive weight."""
    rng = np.random.default_rng(seed)
    sequences = []
    for _ in range(users):
        item = int(rng.integers(items))
        sequence = [item]
        for _ in range(3):
            item = (7 * item + 3) % items
            sequence.append(item)
        sequences.append(sequence)
    return InteractionData.from_sequences(sequences, num_items=items)


UNDERTRAINED = {"hidden": 8, "epochs": 1, "lr": 1e-4, "device": "cpu", "num_threads": 1}
SUCCESSOR_COOCCURRENCE = {"window": 1, "backward_weight": 0.0}


def test_sequential_fuses_cooccurrence_with_the_weight_the_validation_set_chooses(tmp_path):
    split = leave_one_out(successor_data())
    model = create("sequential", **UNDERTRAINED, fusion_cooccurrence=SUCCESSOR_COOCCURRENCE).fit(
        split.train, validation=split.valid
    )

    fusion = model.fusion
    by_weight = fusion["valid_ndcg@10_by_weight"]
    assert fusion["weight"] > 0 and model.fusion_weight == fusion["weight"]
    assert by_weight[f"{fusion['weight']:g}"] == max(by_weight.values()) > by_weight["0"]
    # The served scores are a mixture of two distributions, and the successor comes first,
    # with the item that led to it as the anchor.
    scores = model.score_batch([[0], [5, 8]])
    np.testing.assert_allclose(scores.sum(axis=1), 1.0, rtol=1e-5)
    # ... exactly the formula: (1 - w) softmax(logits) + w votes / sum(votes).
    from scipy.special import softmax

    logits = model.transformer_scores([[0], [5, 8]]).astype(np.float64)
    votes = np.maximum(model.partner.score_batch([[0], [5, 8]]), 0.0)
    expected = (1 - model.fusion_weight) * softmax(logits, axis=1) + model.fusion_weight * (
        votes / votes.sum(axis=1, keepdims=True)
    )
    np.testing.assert_allclose(scores, expected, rtol=1e-5, atol=1e-7)
    # An empty history in the batch gets the popularity fallback; the others the same mixture.
    partial = model.score_batch([[], [5, 8]])
    np.testing.assert_array_equal(partial[0], model.item_counts.astype(np.float32))
    np.testing.assert_allclose(partial[1], scores[1], rtol=1e-6)
    [top] = model.recommend([5, 8], k=1)
    assert top.item == (7 * 8 + 3) % 30 and top.anchor == 8
    # The co-occurrence model and the weight are saved with the transformer.
    loaded = load(model.save(tmp_path / "fused"))
    assert loaded.config == model.config and loaded.fusion_weight == model.fusion_weight
    np.testing.assert_allclose(loaded.score_batch([[0], [5, 8]]), scores, rtol=1e-5)


def test_sequential_chooses_the_weight_on_a_bounded_sample_in_small_batches(monkeypatch):
    from recommendations.engine import sequential

    # A big store: the weight is chosen on a sample of validation users, a few at a time.
    monkeypatch.setattr(sequential, "FUSION_MAX_USERS", 60)
    monkeypatch.setattr(sequential, "FUSION_BATCH_CELLS", 30 * 7)  # 7 users of 30 items
    split = leave_one_out(successor_data())
    model = create("sequential", **UNDERTRAINED, fusion_cooccurrence=SUCCESSOR_COOCCURRENCE).fit(
        split.train, validation=split.valid
    )

    assert len(split.valid) > 60 and model.fusion["validation_users"] == 60
    assert model.fusion["weight"] > 0


def test_sequential_serves_alone_without_validation_or_with_fusion_off():
    split = leave_one_out(successor_data())
    alone = create("sequential", **UNDERTRAINED).fit(split.train)
    off = create("sequential", **UNDERTRAINED, cooccurrence_fusion=False).fit(
        split.train, validation=split.valid
    )

    for model in (alone, off):
        assert model.partner is None and model.fusion is None and model.fusion_weight == 0
    # Same seed, same training: the unfused scores are the transformer's logits.
    np.testing.assert_array_equal(alone.score([1, 2]), off.score([1, 2]))


def test_sequential_rejects_unknown_fusion_settings_before_training():
    with pytest.raises(ValueError, match="windw"):
        create("sequential", fusion_cooccurrence={"windw": 2})


def test_sequential_stops_mid_epoch_when_its_time_is_up():
    # The time limit is checked after every batch, not only at the end of an epoch, so a
    # nightly job on a large store ends near its limit (validation once more, then stop).
    data = InteractionData.from_sequences([[0, 1, 2], [1, 2, 3], [2, 3, 0]] * 40, num_items=4)
    config = {"hidden": 8, "epochs": 5, "batch_size": 4, "device": "cpu", "num_threads": 1}

    unlimited = create("sequential", **config).fit(data)
    limited = create("sequential", **config, max_train_seconds=0).fit(data)

    assert len(unlimited.training_log) == 5
    [only_epoch] = limited.training_log
    assert 0 < only_epoch["positions"] < unlimited.training_log[0]["positions"]


@pytest.mark.parametrize("name", ["popularity", "cooccurrence", "als", "sequential"])
def test_recommend_batch_gives_each_history_its_own_recommend_list(name):
    rng = np.random.default_rng(4)
    sequences = [rng.choice(12, 4, replace=False).tolist() for _ in range(80)]
    data = InteractionData.from_sequences(sequences, num_items=12)
    configs = {
        "als": {"factors": 4, "iterations": 5},
        "sequential": {"hidden": 8, "epochs": 2, "device": "cpu", "num_threads": 1},
    }
    model = create(name, **configs.get(name, {})).fit(data)
    histories = [[0], [3, 5], [7, 1, 2], [11, 4, 9, 6]]

    batch = model.recommend_batch(histories, k=5, exclude=[8])

    for history, listed in zip(histories, batch, strict=True):
        one = model.recommend(history, k=5, exclude=[8])
        assert [r.item for r in listed] == [r.item for r in one]
        # A batch pads histories to one length: float32 sums may differ in the last digits.
        assert [r.score for r in listed] == pytest.approx([r.score for r in one], abs=1e-5)
        assert 8 not in [r.item for r in listed] and not set(history) & {r.item for r in listed}


def test_a_blender_batch_equals_blending_each_history_alone():
    from recommendations.engine.blender import Blender, BlendSource, BusinessRules

    rng = np.random.default_rng(5)
    sequences = [rng.choice(10, 3, replace=False).tolist() for _ in range(60)]
    data = InteractionData.from_sequences(sequences, num_items=10)
    blender = Blender(
        [
            BlendSource(create("cooccurrence").fit(data), weight=1.0, candidates=6),
            BlendSource(create("popularity").fit(data), weight=0.3, candidates=6),
        ],
        BusinessRules(in_stock=frozenset(range(8)), just_bought=frozenset({3}), boost={6: 0.5}),
    )
    histories = [[0, 1], [2], [9, 8, 7]]

    batch = blender.recommend_batch(histories, k=4)

    assert batch == [blender.recommend(history, k=4) for history in histories]


def test_sequential_is_reproducible_with_a_seed():
    data = InteractionData.from_sequences([[0, 1, 2], [1, 2, 3], [2, 3, 0]] * 5, num_items=4)
    config = {
        "hidden": 8,
        "epochs": 2,
        "batch_size": 4,
        "device": "cpu",
        "seed": 3,
        "num_threads": 1,
    }

    first = create("sequential", **config).fit(data).score([0, 1])
    second = create("sequential", **config).fit(data).score([0, 1])

    np.testing.assert_array_equal(first, second)


@pytest.mark.parametrize(
    ("name", "config"),
    [
        ("popularity", {}),
        ("trending", {"half_life": 2.0}),
        ("cooccurrence", {"window": 2}),
        ("content", {}),
        ("als", {"factors": 3, "iterations": 2}),
        ("sequential", {"hidden": 8, "epochs": 1, "device": "cpu", "num_threads": 1}),
    ],
)
def test_save_and_load_round_trip_gives_the_same_scores(tmp_path, name, config):
    model = create(name, **config).fit(tiny_data())

    model.save(tmp_path / name)
    loaded = load(tmp_path / name)

    assert loaded.config == model.config
    np.testing.assert_allclose(loaded.score([0, 3]), model.score([0, 3]), rtol=1e-6)
    assert not list((tmp_path / name).glob("*.pkl"))


def test_load_rejects_an_unknown_format_version(tmp_path):
    directory = create("popularity").fit(tiny_data()).save(tmp_path / "model")
    meta = directory / "recommender.json"
    meta.write_text(meta.read_text().replace('"format_version": 1', '"format_version": 99'))

    with pytest.raises(ValueError, match="format"):
        load(directory)
