from insights.aspect_engine.sentences import MAX_UNIT_CHARS, split_opinion_units


def texts(review: str) -> list[str]:
    return [unit.text for unit in split_opinion_units(review)]


def test_a_review_is_split_into_sentences():
    assert texts("Love it! The fabric is soft. Delivery was quick?? Yes.") == [
        "Love it!",
        "The fabric is soft.",
        "Delivery was quick??",
        "Yes.",
    ]


def test_a_contrast_splits_a_sentence_into_two_opinions():
    assert texts("The fabric is lovely but it runs very small.") == [
        "The fabric is lovely",
        "it runs very small.",
    ]
    assert texts("The colour is pretty; however the seams came apart.") == [
        "The colour is pretty",
        "the seams came apart.",
    ]


def test_a_short_side_of_a_contrast_stays_attached():
    assert texts("Pretty, but love it.") == ["Pretty, but love it."]
    assert texts("It is a little long though.") == ["It is a little long though."]


def test_line_breaks_end_sentences_without_punctuation():
    assert texts("runs small\n\nfabric is thin") == ["runs small", "fabric is thin"]


def test_abbreviations_and_decimals_do_not_end_sentences():
    assert texts("I wear a size 5.5 e.g. a small. It fits.") == [
        "I wear a size 5.5 e.g. a small.",
        "It fits.",
    ]


def test_units_are_verbatim_slices_of_the_review():
    review = "  Soft fabric, but the zip broke.\nFast delivery!  "
    for unit in split_opinion_units(review):
        assert review[unit.start : unit.end] == unit.text


def test_empty_and_punctuation_only_text_has_no_units():
    assert texts("") == []
    assert texts("...!!! ??") == []


def test_an_overlong_unit_is_cut():
    review = "word " * 200
    [unit] = split_opinion_units(review)
    assert len(unit.text) == MAX_UNIT_CHARS
