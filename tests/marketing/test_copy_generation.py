"""Writing copy (pure): the prompt, reading what the generator wrote, checking it, diversity."""

import pytest

from marketing.copy_checks import CheckConfig, Limits, Variant
from marketing.copy_generation import (
    UNREADABLE,
    Example,
    ProductFacts,
    RejectionTally,
    Voice,
    build_prompt,
    distinct_n,
    parse_completion,
    review_completions,
    training_pair,
)

FACTS = ProductFacts(
    title="Merino crew jumper",
    category="Knitwear",
    price="75.00 GBP",
    attributes=(("colour", "navy"), ("material", "merino wool")),
    liked_aspects=("softness", "warmth"),
)
VOICE = Voice(tone_words=("warm", "plain"), words_to_avoid=("cheap", "amazing"))


def test_the_prompt_states_voice_rules_limits_examples_and_ends_for_the_headline():
    example = Example(
        facts=ProductFacts(title="Linen dress", price="59.00 GBP"),
        copy=Variant("Easy linen for warm days", "A relaxed linen dress.", "Shop the dress"),
    )
    prompt = build_prompt(FACTS, voice=VOICE, limits=Limits(headline=30), examples=[example])
    assert "Tone: warm, plain." in prompt
    assert "Never use these words: cheap, amazing." in prompt
    assert "headline at most 30 characters" in prompt
    assert "Headline: Easy linen for warm days\nBody: A relaxed linen dress." in prompt
    assert "Customers like: softness, warmth" in prompt
    assert prompt.index("Linen dress") < prompt.index("Merino crew jumper")
    assert prompt.endswith("Product: Merino crew jumper\nCategory: Knitwear\nPrice: 75.00 GBP\n"
                           "colour: navy\nmaterial: merino wool\nCustomers like: softness, warmth"
                           "\nHeadline:")  # fmt: skip


def test_at_most_three_examples_are_shown():
    examples = [
        Example(facts=ProductFacts(title=f"Item {i}"), copy=Variant(f"Head {i}", "Body", "Go"))
        for i in range(5)
    ]
    prompt = build_prompt(FACTS, voice=VOICE, examples=examples)
    assert "Head 2" in prompt and "Head 3" not in prompt


def test_a_training_pair_is_the_zero_shot_prompt_and_the_copy_in_the_same_layout():
    prompt, completion = training_pair(
        FACTS, Variant("Soft merino", "Navy merino wool.", "Shop now"), voice=VOICE
    )
    assert prompt == build_prompt(FACTS, voice=VOICE)
    assert completion == " Soft merino\nBody: Navy merino wool.\nCall to action: Shop now\n###"
    assert parse_completion(completion).variant == Variant(
        "Soft merino", "Navy merino wool.", "Shop now"
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            " Soft merino for cold days\nBody: A navy jumper.\nCall to action: Shop it\n###",
            Variant("Soft merino for cold days", "A navy jumper.", "Shop it"),
        ),
        (
            "Headline: Soft merino\nBody: A navy jumper.\nCall to action: Shop now\n",
            Variant("Soft merino", "A navy jumper.", "Shop now"),
        ),
        (
            ' "Soft merino"\n**Body:** A navy\njumper in merino.\nCTA: Shop now',
            Variant("Soft merino", "A navy jumper in merino.", "Shop now"),
        ),
        (
            " Soft merino\nBody: A navy jumper.\nCall to action: Shop now\n"
            "Headline: Another ad\nBody: Another body.",
            Variant("Soft merino", "A navy jumper.", "Shop now"),
        ),
        (
            " Soft merino\nBody: A navy jumper.\nProduct: Linen dress\nPrice: 59.00 GBP",
            Variant("Soft merino", "A navy jumper.", ""),
        ),
        (
            " Soft merino\nBody: A navy jumper.\nPrice: 75.00 GBP\nCall to action: Buy",
            Variant("Soft merino", "A navy jumper.", ""),
        ),
    ],
)
def test_completions_are_read_into_the_three_fields(text, expected):
    parsed = parse_completion(text)
    assert parsed.problem == ""
    assert parsed.variant == expected
    assert parsed.raw == text


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", "no headline"),
        ("\nBody: A navy jumper.", "no headline"),
        (" Soft merino\n###\nBody: too late", "headline only"),
        (" just words with no fields at all", "headline only"),
    ],
)
def test_unreadable_completions_say_why(text, problem):
    assert problem in parse_completion(text).problem


def test_review_rejects_invented_numbers_and_claims_and_keeps_true_ones():
    completions = [
        " Navy merino, 50% off\nBody: Free shipping today.\nCall to action: Shop now",
        " Soft merino at 75.00\nBody: Navy merino wool for cold days.\nCall to action: Shop now",
        " Waterproof merino\nBody: Stays dry.\nCall to action: Buy",
        "nothing readable",
    ]
    reviewed = review_completions(completions, facts=FACTS.text(), config=CheckConfig())
    outcomes = [result.outcome if result else None for _, result in reviewed]
    assert outcomes == ["rejected", "ok", "rejected", None]
    codes = {issue.code for issue in reviewed[0][1].reasons}
    assert codes == {"unsupported_number", "unsupported_claim"}
    assert [i.code for i in reviewed[2][1].reasons] == ["unsupported_claim"]
    assert reviewed[3][1] is None and reviewed[3][0].problem


def test_review_trims_to_the_channel_limit_and_removes_near_duplicates():
    completions = [
        " Soft navy merino for the coldest winter days\nBody: Merino wool.\nCall to action: Shop",
        " Soft navy merino for the coldest winter days\nBody: Merino wool.\nCall to action: Shop",
        " Warmth you can wear\nBody: A navy crew neck.\nCall to action: See it",
    ]
    reviewed = review_completions(
        completions, facts=FACTS.text(), config=CheckConfig(limits=Limits(headline=30))
    )
    first, second, third = (result for _, result in reviewed)
    assert first.outcome == "repaired" and len(first.variant.headline) <= 30
    assert second.outcome == "rejected" and second.duplicate_of == 0
    assert third.outcome == "ok"


def test_unreadable_completions_get_a_check_record_with_their_reason():
    from marketing.copy_generation import unreadable_record

    record = unreadable_record(parse_completion(""))
    assert record["outcome"] == "rejected"
    assert record["reasons"][0]["code"] == UNREADABLE


def test_distinct_n_counts_unique_word_ngrams_over_all_texts():
    assert distinct_n(["a b c", "a b d"], 2) == pytest.approx(3 / 4)
    assert distinct_n(["a b", "a b"], 1) == pytest.approx(2 / 4)
    assert distinct_n([""], 2) == 0.0


def test_the_tally_counts_passes_and_each_reason_once_per_variant():
    tally = RejectionTally()
    tally.add(passed=True, reasons=[])
    tally.add(passed=False, reasons=["unsupported_number", "unsupported_number", "length"])
    tally.add(passed=False, reasons=["length"])
    assert (tally.total, tally.passed, tally.pass_rate) == (3, 1, pytest.approx(1 / 3))
    assert tally.by_reason == {"unsupported_number": 1, "length": 2}


def test_without_approved_copy_a_layout_example_shows_the_format():
    prompt = build_prompt(FACTS, voice=VOICE)
    assert "Headline: A tote for every day\nBody:" in prompt
    assert prompt.index("Canvas tote bag") < prompt.index("Merino crew jumper")
