"""Splitting a review into opinion units: its sentences, each cut once more where a contrast
("but", "although", "however"...) joins two opinions.

"The fabric is lovely but it runs small." holds two opinions on two aspects with opposite
sentiment; scored as one sentence, one of them would get the other's label. Every unit is a
verbatim slice of the review (stripped of surrounding spaces and of the contrast word), so the
evidence shown to staff is exactly what the customer wrote.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Units shorter than this many words stay attached to their neighbour ("but love it").
MIN_CLAUSE_WORDS = 3
# Longer units are kept whole but cut to this many characters (the encoder reads 128 tokens).
MAX_UNIT_CHARS = 400
ABBREVIATIONS = frozenset(
    {"e.g", "i.e", "etc", "approx", "vs", "mr", "mrs", "ms", "dr", "st", "no", "incl", "ft", "in"}
)
# End of a sentence: ., ! or ? (repeated, maybe followed by closing quotes or brackets) and
# whitespace; or a line break. A full stop between two digits (5.5) never ends a sentence.
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"')\]]*\s+|\s*\n+\s*")
_CONTRAST = re.compile(
    r"(?:[,;]\s*|\s+)(?:but|although|though|however|whereas|except that|yet)\b[,]?\s*"
    r"|;\s*",
    re.IGNORECASE,
)
_WORD = re.compile(r"[A-Za-z0-9']+")


@dataclass(frozen=True)
class OpinionUnit:
    """A slice of the review text: text == review[start:end]."""

    text: str
    start: int
    end: int


def _word_count(text: str) -> int:
    return len(_WORD.findall(text))


def _ends_with_abbreviation(text: str) -> bool:
    match = re.search(r"([A-Za-z.]+)\.$", text)
    return bool(match) and match.group(1).lower().rstrip(".") in ABBREVIATIONS


def _sentence_spans(text: str) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    start = 0
    for match in _SENTENCE_END.finditer(text):
        candidate = text[start : match.start()].strip()
        if "\n" not in match.group(0) and _ends_with_abbreviation(candidate):
            continue
        spans.append((start, match.start()))
        start = match.end()
    spans.append((start, len(text)))
    return spans


def _clause_spans(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Cut [start, end) at contrast words, keeping both sides only if each is long enough."""
    spans = []
    piece_start = start
    for match in _CONTRAST.finditer(text, start, end):
        left = text[piece_start : match.start()]
        right = text[match.end() : end]
        if _word_count(left) >= MIN_CLAUSE_WORDS and _word_count(right) >= MIN_CLAUSE_WORDS:
            spans.append((piece_start, match.start()))
            piece_start = match.end()
    spans.append((piece_start, end))
    return spans


def split_opinion_units(text: str) -> list[OpinionUnit]:
    """The review's sentences, each cut at contrast words, in reading order.

    Empty pieces and pieces without a letter are dropped; pieces longer than MAX_UNIT_CHARS
    are cut there (their start is kept, so they stay verbatim slices).
    """
    units = []
    for sentence_start, sentence_end in _sentence_spans(text or ""):
        for start, end in _clause_spans(text, sentence_start, sentence_end):
            raw = text[start:end]
            stripped = raw.strip()
            if not stripped or not re.search(r"[A-Za-z]", stripped):
                continue
            begin = start + (len(raw) - len(raw.lstrip()))
            stop = min(begin + len(stripped), begin + MAX_UNIT_CHARS)
            units.append(OpinionUnit(text=text[begin:stop], start=begin, end=stop))
    return units
