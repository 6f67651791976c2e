"""Summary points are built from evidence and every phrasing traces back to it."""

import pytest

from insights.aspect_engine.summaries import (
    CON,
    EXTRACTIVE,
    GENERATED,
    PRO,
    Evidence,
    SummaryConfig,
    phrasing_prompt,
    phrasing_traces,
    point_phrased,
    representative_order,
    summary_is_stale,
    summary_points_build,
    summary_text,
)

EVIDENCE = [
    Evidence(1, "fit/size", "negative", "It runs small.", 0.8),
    Evidence(2, "fit/size", "negative", "Runs really small, order a size up.", 0.7),
    Evidence(3, "fit/size", "negative", "The waist is tiny.", 0.5),
    Evidence(3, "fit/size", "negative", "And the size chart is wrong.", 0.5),
    Evidence(4, "material/fabric", "positive", "The fabric is soft and thick.", 0.9),
    Evidence(5, "material/fabric", "positive", "Lovely soft fabric.", 0.85),
    Evidence(6, "delivery", "positive", "Arrived the next day.", 0.8),
    Evidence(7, "colour", "neutral", "The colour is as pictured.", 0.7),
    Evidence(8, "colour", "negative", "The colour faded.", 0.7),
]


def build(config=None):
    return summary_points_build(EVIDENCE, config)


def test_points_group_evidence_by_aspect_and_polarity_with_distinct_review_counts():
    pros, cons = build()

    assert [(p.aspect, p.polarity, p.count, p.review_ids) for p in pros] == [
        ("material/fabric", PRO, 2, (4, 5))
    ]
    assert [(p.aspect, p.polarity, p.count, p.review_ids) for p in cons] == [
        ("fit/size", CON, 3, (1, 2, 3))
    ]


def test_aspects_with_too_few_reviews_and_neutral_opinions_make_no_point():
    pros, cons = build()
    aspects = {p.aspect for p in pros + cons}
    assert "delivery" not in aspects  # one review
    assert "colour" not in aspects  # one negative, one neutral


def test_every_point_traces_back_to_its_reviews():
    pros, cons = build(SummaryConfig(min_reviews=1))
    by_review = {}
    for item in EVIDENCE:
        by_review.setdefault(item.review_id, []).append(item)
    for point in pros + cons:
        for review_id in point.review_ids:
            assert any(
                e.aspect == point.aspect and e.label in ("positive", "negative")
                for e in by_review[review_id]
            )
        for item in point.evidence:
            assert item.review_id in point.review_ids
            assert item in EVIDENCE
        assert point.evidence[0].sentence in point.text
        assert point.source == EXTRACTIVE


def test_points_keep_the_most_mentioned_first_up_to_the_limit():
    pros, cons = build(SummaryConfig(min_reviews=1, max_points=1))
    assert [p.aspect for p in pros] == ["material/fabric"]
    assert [p.aspect for p in cons] == ["fit/size"]


def test_the_representative_sentence_is_central_and_similar_to_the_aspect():
    ordered = representative_order([e for e in EVIDENCE if e.aspect == "fit/size"])
    assert ordered[0].sentence == "It runs small."


def test_duplicate_sentences_are_kept_once():
    twice = [EVIDENCE[0], Evidence(9, "fit/size", "negative", "it runs small. ", 0.8)]
    assert len(representative_order(twice)) == 1


@pytest.fixture
def fit_con():
    _pros, cons = build()
    return cons[0]


def test_a_faithful_phrasing_is_kept(fit_con):
    phrased = point_phrased(fit_con, " The fit runs small, customers say.\nNext line")

    assert (phrased.text, phrased.source) == ("The fit runs small, customers say.", GENERATED)
    assert (phrased.count, phrased.review_ids) == (fit_con.count, fit_con.review_ids)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("The colours are vibrant and lovely.", "aspect"),
        ("The size is wonderful.", "grounding"),
        ("The fit runs small and the zipper breaks easily after washing.", "support"),
        ("The fit does not run small.", "negation"),
        ("The fit runs small by 2 sizes.", "numbers"),
        ("Small.", "length"),
    ],
)
def test_a_phrasing_that_strays_from_the_evidence_is_refused(fit_con, text, reason):
    check = phrasing_traces(text, fit_con)

    assert not check.ok
    assert reason in check.reasons


def test_a_refused_phrasing_falls_back_to_quoting_the_evidence(fit_con):
    phrased = point_phrased(fit_con, "Runs large and looks amazing on everyone!")

    assert phrased.source == EXTRACTIVE
    assert phrased.text == 'fit/size: "It runs small."'


def test_the_prompt_holds_only_the_points_own_evidence(fit_con):
    prompt = phrasing_prompt(fit_con)

    assert prompt.endswith("Summary:")
    for item in fit_con.evidence:
        assert f'"{item.sentence}"' in prompt
    assert "fabric is soft" not in prompt


def test_summary_text_lists_points_with_counts():
    pros, cons = build()
    assert summary_text(pros, cons) == (
        'Pros:\n- material/fabric: "The fabric is soft and thick." (2 reviews)\n'
        'Cons:\n- fit/size: "It runs small." (3 reviews)'
    )


def test_point_json_carries_review_ids_and_evidence():
    _pros, cons = build()
    assert cons[0].as_dict() == {
        "aspect": "fit/size",
        "text": 'fit/size: "It runs small."',
        "count": 3,
        "review_ids": [1, 2, 3],
        "evidence": [
            {"review_id": 1, "sentence": "It runs small."},
            {"review_id": 2, "sentence": "Runs really small, order a size up."},
            {"review_id": 3, "sentence": "And the size chart is wrong."},
        ],
        "source": "extractive",
    }


@pytest.mark.parametrize(
    ("now", "covered", "stale"),
    [
        (5, None, True),
        (0, None, False),
        (50, 50, False),
        (59, 50, False),
        (60, 50, True),  # 10 new
        (12, 10, True),  # 20% more
        (11, 10, False),
    ],
)
def test_a_summary_is_rebuilt_after_enough_new_reviews(now, covered, stale):
    assert summary_is_stale(reviews_now=now, reviews_covered=covered) is stale
