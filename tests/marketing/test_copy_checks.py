"""The copy checks (pure): lengths and repairs, words to avoid, numbers and claims against the
facts, near-duplicates by embedding and by character n-grams."""

import hashlib
import re

import numpy as np
import pytest

from marketing.copy_checks import (
    CheckConfig,
    Limits,
    Variant,
    char_ngrams,
    check_variants,
    jaccard,
    numbers_in,
    phrases_in,
    trim_to_word_boundary,
)

FACTS = (
    "Alpine rain jacket\nPrice: 89.00 GBP\nCategory: Jackets\nmaterial: 100% recycled nylon\n"
    "Waterproof shell with taped seams. Free shipping on this item. Weighs 350 g."
)
NO_DEDUPE = CheckConfig(duplicate_jaccard=None)


def check_one(variant: Variant, *, facts: str = FACTS, config: CheckConfig = NO_DEDUPE):
    (result,) = check_variants([variant], facts=facts, config=config)
    return result


def codes(result) -> list[str]:
    return [issue.code for issue in result.reasons]


def toy_embed(texts: list[str]) -> np.ndarray:
    """Bag of words hashed into 64 buckets: deterministic, and equal word sets embed equally."""
    vectors = np.zeros((len(texts), 64))
    for row, text in enumerate(texts):
        for word in re.findall(r"\w+", text.lower()):
            vectors[row, int(hashlib.sha256(word.encode()).hexdigest(), 16) % 64] += 1
    return vectors


# --- lengths ----------------------------------------------------------------------------------


def test_a_variant_within_every_limit_is_ok():
    config = CheckConfig(limits=Limits(headline=30, body=90, call_to_action=20))
    result = check_one(
        Variant("Stay dry on the trail", "A light shell.", "Shop now"), config=config
    )
    assert result.outcome == "ok"
    assert result.reasons == () and result.repairs == ()


def test_a_headline_over_the_limit_is_trimmed_at_a_word_boundary():
    config = CheckConfig(limits=Limits(headline=30), duplicate_jaccard=None)
    headline = "Stay dry on every trail this autumn, rain or shine"
    result = check_one(Variant(headline, "A light shell."), config=config)
    assert result.outcome == "repaired"
    assert result.variant.headline == "Stay dry on every trail this"
    assert len(result.variant.headline) <= 30
    assert [(i.code, i.field) for i in result.repairs] == [("length", "headline")]


def test_written_copy_over_the_limit_is_rejected_not_rewritten():
    config = CheckConfig(limits=Limits(body=20), repair=False, duplicate_jaccard=None)
    result = check_one(Variant("Rain jacket", "A light shell for every season."), config=config)
    assert result.outcome == "rejected"
    assert codes(result) == ["length"]
    assert result.variant.body == "A light shell for every season."


def test_a_first_word_longer_than_the_limit_cannot_be_repaired():
    config = CheckConfig(limits=Limits(call_to_action=5), duplicate_jaccard=None)
    result = check_one(Variant("Rain jacket", "", "Discover"), config=config)
    assert result.outcome == "rejected"
    assert [(i.code, i.field) for i in result.reasons] == [("length", "call_to_action")]


@pytest.mark.parametrize(
    ("text", "limit", "expected"),
    [
        ("short", 10, "short"),
        ("one two three", 8, "one two"),
        ("one two, three", 9, "one two"),
        ("exactly ten", 11, "exactly ten"),
        ("unbreakable", 5, None),
        ("  padded text  ", 11, "padded text"),
    ],
)
def test_trim_to_word_boundary(text, limit, expected):
    assert trim_to_word_boundary(text, limit) == expected


def test_an_empty_variant_is_rejected():
    assert codes(check_one(Variant("  ", ""))) == ["empty"]


# --- words to avoid ---------------------------------------------------------------------------


def test_words_to_avoid_are_matched_whole_word_and_case_insensitively():
    config = CheckConfig(words_to_avoid=("cheap", "act now"), duplicate_jaccard=None)
    result = check_one(Variant("CHEAP rain jacket", "Act Now before it rains."), config=config)
    assert result.outcome == "rejected"
    assert [(i.code, i.field) for i in result.reasons] == [
        ("avoided_word", "headline"),
        ("avoided_word", "body"),
    ]


def test_a_word_to_avoid_inside_another_word_does_not_count():
    config = CheckConfig(words_to_avoid=("cheap",), duplicate_jaccard=None)
    assert check_one(Variant("Cheapside rain jacket"), config=config).outcome == "ok"


# --- numbers ----------------------------------------------------------------------------------


def test_an_invented_percentage_is_rejected():
    result = check_one(Variant("50% off the Alpine jacket"))
    assert result.outcome == "rejected"
    assert codes(result) == ["unsupported_number"]
    assert '"50%"' in result.reasons[0].message


def test_a_percentage_from_the_facts_passes():
    assert check_one(Variant("100% recycled nylon")).outcome == "ok"


def test_a_number_in_the_facts_does_not_support_it_as_a_percentage():
    assert codes(check_one(Variant("Only 350% lighter"))) == ["unsupported_number"]


def test_the_true_price_passes_in_any_notation():
    assert check_one(Variant("Yours for £89", "Now £89.00")).outcome == "ok"


def test_an_invented_price_is_rejected():
    assert codes(check_one(Variant("Now only £59.99"))) == ["unsupported_number"]


def test_an_invented_plain_number_is_rejected():
    assert codes(check_one(Variant("Loved by 10,000 hikers"))) == ["unsupported_number"]


def test_a_true_plain_number_passes():
    assert check_one(Variant("Just 350 g of protection")).outcome == "ok"


def test_numbers_in_reads_currency_percentages_and_separators():
    found = [
        (written, str(value), pct) for written, value, pct in numbers_in("£1,200 or 20 percent")
    ]
    assert found == [("£1,200", "1.2E+3", False), ("20 percent", "2E+1", True)]


# --- claims -----------------------------------------------------------------------------------


def test_a_claim_the_facts_make_passes():
    assert check_one(Variant("Waterproof and light", "Free shipping today.")).outcome == "ok"


def test_a_claim_the_facts_do_not_make_is_rejected():
    facts = "Cotton tee\nPrice: 12.00 GBP"
    result = check_one(Variant("Waterproof cotton tee", "The best tee, organic too."), facts=facts)
    assert result.outcome == "rejected"
    assert [(i.code, i.message.split('"')[1]) for i in result.reasons] == [
        ("unsupported_claim", "waterproof"),
        ("unsupported_claim", "organic"),
        ("unsupported_claim", "best"),
    ]


def test_symbol_claims_like_number_one_are_caught():
    assert "unsupported_claim" in codes(check_one(Variant("The #1 rain jacket")))


def test_the_claim_list_is_configurable():
    config = CheckConfig(claim_phrases=("breathable",), duplicate_jaccard=None)
    assert codes(check_one(Variant("Breathable shell"), config=config)) == ["unsupported_claim"]
    # "best" is no longer a claim under this list
    assert check_one(Variant("Our best shell"), config=config).outcome == "ok"


def test_phrases_in_respects_word_boundaries():
    assert phrases_in("bestseller of the year", ["best"]) == []
    assert phrases_in("the best, by far", ["best"]) == ["best"]


# --- duplicates -------------------------------------------------------------------------------


def test_near_duplicates_by_embedding_keep_the_first():
    variants = [
        Variant("Stay dry on the trail", "A light shell."),
        Variant("On the trail stay dry", "A shell, light."),  # same words: cosine 1
        Variant("Built for mountain storms", "Taped seams throughout."),
    ]
    results = check_variants(variants, facts=FACTS, config=NO_DEDUPE, embed=toy_embed)
    assert [r.outcome for r in results] == ["ok", "rejected", "ok"]
    assert results[1].duplicate_of == 0
    assert codes(results[1]) == ["duplicate"]


def test_the_embedding_is_called_once_with_surviving_variants_only():
    calls = []

    def embed(texts):
        calls.append(list(texts))
        return toy_embed(texts)

    variants = [Variant("Stay dry"), Variant("50% off"), Variant("Built for storms")]
    check_variants(variants, facts=FACTS, config=NO_DEDUPE, embed=embed)
    assert calls == [["Stay dry", "Built for storms"]]


def test_jaccard_prefilter_catches_near_identical_text_without_an_encoder():
    variants = [
        Variant("Stay dry on the trail!"),
        Variant("Stay dry on the trail."),
        Variant("Other"),
    ]
    results = check_variants(variants, facts=FACTS, config=CheckConfig())
    assert [r.outcome for r in results] == ["ok", "rejected", "ok"]
    assert results[1].duplicate_of == 0


def test_distinct_variants_are_all_kept():
    variants = [Variant("Stay dry on the trail"), Variant("Built for mountain storms")]
    results = check_variants(variants, facts=FACTS, config=CheckConfig(), embed=toy_embed)
    assert [r.outcome for r in results] == ["ok", "ok"]


def test_a_rejected_variant_does_not_hide_a_later_similar_one():
    variants = [Variant("50% off: stay dry on the trail"), Variant("Stay dry on the trail")]
    results = check_variants(variants, facts=FACTS, config=CheckConfig(), embed=toy_embed)
    assert [r.outcome for r in results] == ["rejected", "ok"]


def test_jaccard_of_character_ngrams():
    assert jaccard(char_ngrams("abcd", 3), char_ngrams("abcd", 3)) == 1.0
    assert jaccard(char_ngrams("abcd", 3), char_ngrams("wxyz", 3)) == 0.0
    assert jaccard(set(), set()) == 0.0


def test_the_record_keeps_every_reason_for_the_marketer():
    result = check_one(Variant("50% off the best jacket"))
    record = result.as_record()
    assert record["outcome"] == "rejected"
    assert [r["code"] for r in record["reasons"]] == ["unsupported_number", "unsupported_claim"]
