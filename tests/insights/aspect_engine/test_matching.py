"""Aspect matching: the threshold-and-margin rule on known vectors, and the shipped settings
against the hand-written calibration sentences with the packaged encoder."""

import numpy as np
import pytest

from insights.aspect_engine.calibration import CALIBRATION_SENTENCES
from insights.aspect_engine.defaults import DEFAULT_ASPECTS
from insights.aspect_engine.matching import (
    AspectDefinition,
    AspectMatcher,
    MatchConfig,
    aspect_definition,
    aspect_hint_terms,
    assign_aspects,
    calibrate_threshold,
    keyword_hits,
    match_quality,
    similarity_matrix,
)


def test_similarity_is_the_best_prototype_dot_product_per_aspect():
    units = np.array([[1.0, 0.0], [0.0, 1.0]])
    prototypes = np.array([[1.0, 0.0], [0.6, 0.8], [0.0, 1.0]])

    sims = similarity_matrix(units, prototypes, owners=[0, 0, 1], n=3)

    np.testing.assert_allclose(sims, [[1.0, 0.0, -1.0], [0.8, 1.0, -1.0]])


def test_units_get_aspects_above_threshold_and_within_margin_of_their_best():
    config = MatchConfig(threshold=0.5, margin=0.1, max_aspects=2)
    scores = np.array(
        [
            [0.9, 0.85, 0.6],  # two close aspects
            [0.9, 0.6, 0.55],  # one clear aspect
            [0.4, 0.3, 0.2],  # nothing above the threshold
            [0.9, 0.88, 0.87],  # capped at max_aspects
        ]
    )

    assert assign_aspects(scores, config) == [[0, 1], [0], [], [0, 1]]


def test_keyword_hints_nudge_but_cannot_assign_alone():
    definitions = [
        AspectDefinition("delivery", "d", hint_terms=frozenset({"delivery"})),
        AspectDefinition("colour", "c", hint_terms=frozenset({"colour"})),
    ]
    vectors = {"d": [1.0, 0.0], "c": [0.0, 1.0]}

    def embed(texts):
        return np.array([vectors.get(t, [0.0, 0.0]) for t in texts], dtype=np.float32)

    matcher = AspectMatcher(definitions, embed, MatchConfig(threshold=0.45, keyword_bonus=0.05))

    # Zero similarity: the keyword alone (+0.05) stays far below the threshold.
    assert matcher.match(["The delivery"]) == [[]]
    assert keyword_hits(
        ["The delivery was late"], [d.hint_terms for d in definitions]
    ).tolist() == [[1.0, 0.0]]


def test_hint_terms_come_from_the_name_and_the_default_keywords():
    assert {"fit", "size", "small", "tight"} <= aspect_hint_terms("fit/size")
    assert aspect_hint_terms("Battery life") == {"battery", "life"}


def test_match_quality_is_micro_averaged():
    quality = match_quality([{"a"}, {"a", "b"}, set()], [{"a"}, {"a"}, {"c"}])
    # TP=2, FP=1, FN=1
    assert (quality.precision, quality.recall) == (pytest.approx(2 / 3), pytest.approx(2 / 3))
    assert quality.f1 == pytest.approx(2 / 3)


def test_invalid_match_configs_are_rejected():
    with pytest.raises(ValueError):
        MatchConfig(threshold=2)
    with pytest.raises(ValueError):
        MatchConfig(max_aspects=0)


@pytest.fixture(scope="module")
def packaged_encoder():
    from ml.training.inference import EncoderEngine, EncoderEngineConfig

    return EncoderEngine("default", EncoderEngineConfig(device="cpu"))


@pytest.mark.slow
def test_shipped_threshold_is_calibrated_on_the_hand_written_sentences(packaged_encoder):
    definitions = [aspect_definition(a.name, a.description, a.examples) for a in DEFAULT_ASPECTS]
    config = MatchConfig()
    matcher = AspectMatcher(definitions, packaged_encoder.embed, config)
    _sims, scores = matcher.scores([text for text, _aspects in CALIBRATION_SENTENCES])
    expected = [set(aspects) for _text, aspects in CALIBRATION_SENTENCES]

    results = calibrate_threshold(scores, [d.name for d in definitions], expected, config)
    best = max(results, key=lambda r: r.f1)
    shipped = next(r for r in results if r.threshold == pytest.approx(config.threshold))

    assert shipped.f1 >= 0.9
    assert shipped.precision >= 0.9
    # The shipped threshold sits on the calibrated plateau, not on a knife edge.
    assert shipped.f1 >= best.f1 - 0.02
    for neighbour in (config.threshold - 0.03, config.threshold + 0.03):
        nearby = next(r for r in results if r.threshold == pytest.approx(neighbour))
        assert nearby.f1 >= best.f1 - 0.05
