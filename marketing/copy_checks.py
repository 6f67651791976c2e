"""Checks that every ad copy variant passes before a marketer sees it. Pure: no Django.

`check_variants(variants, facts=..., config=..., embed=...)` returns one `CheckResult` per
variant, in order:

- length: each field within the channel's limit. With `repair`, a field over its limit is cut
  at the last word boundary under the limit (outcome "repaired"); a field whose first word is
  already too long cannot be repaired.
- avoided words: the brand voice's words to avoid, matched whole-word and case-insensitively.
- unsupported numbers: every number, price and percentage in the copy must appear in the
  product facts (a percentage must appear there as a percentage: "50% cotton" does not support
  "50% off").
- unsupported claims: each phrase of a claim list ("waterproof", "free shipping", "#1", ...)
  that the copy uses must appear in the facts.
- links: no web or e-mail address at all (the ad itself links to the product; an address in
  copy is what an injection planted in a product's imported text would ask for).
- prompt leak: a variant that repeats a run of six words of the generator's instructions
  (`CheckConfig.instructions`) that the facts do not hold is repeating its prompt.
- near-duplicates: a variant too close to an earlier kept one is rejected. Closeness is the
  cosine similarity of the caller's embeddings (`embed`: texts -> vectors, so the caller picks
  the encoder) and, as a cheap pre-filter needing no encoder, the Jaccard similarity of
  character n-grams (near-identical texts are caught before anything is embedded).

A rejected variant keeps every reason, so the marketer sees what the generator tried.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal, InvalidOperation
from typing import Literal

import numpy as np

from ml.text_guards import LINK, repeats_run, word_runs

FIELDS = ("headline", "body", "call_to_action")
FIELD_LABELS = {"headline": "Headline", "body": "Body", "call_to_action": "Call to action"}

# Phrases that make a promise about the product or the offer: each is allowed only when the
# product facts say the same. Kept as data; a caller passes its own list to change it.
DEFAULT_CLAIM_PHRASES: tuple[str, ...] = (
    "waterproof",
    "water-resistant",
    "water resistant",
    "organic",
    "free shipping",
    "free delivery",
    "free returns",
    "guaranteed",
    "guarantee",
    "best",
    "#1",
    "number one",
    "cure",
    "cures",
    "clinically proven",
    "hypoallergenic",
    "eco-friendly",
    "sustainable",
    "vegan",
    "handmade",
    "lifetime warranty",
    "award-winning",
    "sale",
    "discount",
    "half price",
    "limited edition",
)

Outcome = Literal["ok", "repaired", "rejected"]
Embed = Callable[[list[str]], "np.ndarray | Sequence[Sequence[float]]"]


@dataclass(frozen=True)
class Variant:
    headline: str
    body: str = ""
    call_to_action: str = ""

    def text(self) -> str:
        """The variant as one text (what duplicate detection compares)."""
        return " ".join(part for part in (self.headline, self.body, self.call_to_action) if part)


@dataclass(frozen=True)
class Limits:
    """Maximum lengths in characters; None means no limit."""

    headline: int | None = None
    body: int | None = None
    call_to_action: int | None = None


@dataclass(frozen=True)
class CheckConfig:
    limits: Limits = Limits()
    words_to_avoid: tuple[str, ...] = ()
    claim_phrases: tuple[str, ...] = DEFAULT_CLAIM_PHRASES
    # Cut over-long fields at a word boundary instead of rejecting (generated copy); written
    # copy is the marketer's own and is only reported.
    repair: bool = True
    # Cosine similarity of embeddings at or above which a later variant is a duplicate.
    duplicate_cosine: float = 0.92
    # Character n-gram Jaccard similarity at or above which a later variant is a duplicate
    # without embedding it; None turns the pre-filter off.
    duplicate_jaccard: float | None = 0.8
    ngram_size: int = 3
    # The generator's instructions: copy that repeats a run of their words is leaking them.
    instructions: str = ""


@dataclass(frozen=True)
class Issue:
    """Why a variant was rejected or repaired. `code` is stable (reports count by it)."""

    code: str  # length, avoided_word, unsupported_number, unsupported_claim, duplicate, empty
    field: str
    message: str


@dataclass(frozen=True)
class CheckResult:
    index: int
    outcome: Outcome
    variant: Variant  # repaired text where outcome is "repaired"
    reasons: tuple[Issue, ...] = ()  # why it was rejected
    repairs: tuple[Issue, ...] = ()  # what was changed
    duplicate_of: int | None = None

    def as_record(self) -> dict:
        """A JSON-ready record (kept with the variant, shown in the admin)."""
        return {
            "outcome": self.outcome,
            "reasons": [issue.__dict__ for issue in self.reasons],
            "repairs": [issue.__dict__ for issue in self.repairs],
            "duplicate_of": self.duplicate_of,
        }


@dataclass(frozen=True)
class _Numbers:
    plain: frozenset[Decimal] = field(default_factory=frozenset)
    percentages: frozenset[Decimal] = field(default_factory=frozenset)


# A number with optional currency before and percent sign or word after: "£49.99", "50%",
# "1,200", "3.5", "20 percent". Digits glued to letters ("4K", "SPF30") count as numbers too.
_NUMBER = re.compile(
    r"(?P<currency>[£$€¥]\s?)?(?P<number>\d+(?:[.,]\d+)*)(?P<percent>\s?%|\s?per\s?cent\b|\s?percent\b)?",
    re.IGNORECASE,
)


def _to_decimal(text: str) -> Decimal | None:
    # "1,200" is a thousands separator; "3,5" (a decimal comma) reads as 35 and then simply
    # has to appear in the facts written the same way.
    try:
        return Decimal(text.replace(",", "")).normalize()
    except InvalidOperation:
        return None


def numbers_in(text: str) -> list[tuple[str, Decimal, bool]]:
    """(as written, value, is a percentage) of each number in `text`."""
    found = []
    for match in _NUMBER.finditer(text):
        value = _to_decimal(match.group("number"))
        if value is not None:
            found.append((match.group(0).strip(), value, bool(match.group("percent"))))
    return found


def _fact_numbers(facts: str) -> _Numbers:
    plain, percentages = set(), set()
    for _, value, is_percentage in numbers_in(facts):
        plain.add(value)
        if is_percentage:
            percentages.add(value)
    return _Numbers(frozenset(plain), frozenset(percentages))


def _phrase_pattern(phrase: str) -> re.Pattern:
    """Whole-word, case-insensitive; works for phrases that start or end with a symbol ("#1")."""
    return re.compile(rf"(?<![\w#]){re.escape(phrase.strip())}(?![\w])", re.IGNORECASE)


def phrases_in(text: str, phrases: Iterable[str]) -> list[str]:
    """The phrases of `phrases` that occur in `text` as whole words, in the list's order."""
    return [p for p in phrases if p.strip() and _phrase_pattern(p).search(text)]


def trim_to_word_boundary(text: str, limit: int) -> str | None:
    """The longest prefix of `text` of at most `limit` characters that ends at a word boundary,
    without trailing punctuation that would dangle (",", "-", ":"); None when not even the first
    word fits."""
    text = text.strip()
    if len(text) <= limit:
        return text
    cut = text[: limit + 1]
    space = cut.rfind(" ")
    if space <= 0:
        return None
    trimmed = cut[:space].rstrip(" ,;:-–—/&")
    return trimmed or None


def char_ngrams(text: str, n: int) -> set[str]:
    normalized = " ".join(re.findall(r"\w+", text.lower()))
    if len(normalized) < n:
        return {normalized} if normalized else set()
    return {normalized[i : i + n] for i in range(len(normalized) - n + 1)}


def jaccard(a: set[str], b: set[str]) -> float:
    """|a ∩ b| / |a ∪ b|; 0 for two empty sets."""
    union = a | b
    return len(a & b) / len(union) if union else 0.0


def cosine_matrix(vectors: np.ndarray) -> np.ndarray:
    """Pairwise cosine similarities of the rows (a zero row is similar to nothing)."""
    matrix = np.asarray(vectors, dtype=np.float64)
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    normalized = np.divide(matrix, norms, out=np.zeros_like(matrix), where=norms > 0)
    return normalized @ normalized.T


def _check_one(
    variant: Variant,
    *,
    facts: str,
    numbers: _Numbers,
    config: CheckConfig,
    instruction_runs: tuple[str, ...] = (),
):
    reasons: list[Issue] = []
    repairs: list[Issue] = []
    values = {name: getattr(variant, name).strip() for name in FIELDS}
    if not values["headline"] and not values["body"]:
        reasons.append(Issue("empty", "headline", "The variant has neither headline nor body."))
    for name in FIELDS:
        limit = getattr(config.limits, name)
        label = FIELD_LABELS[name]
        if limit is None or len(values[name]) <= limit:
            continue
        trimmed = trim_to_word_boundary(values[name], limit) if config.repair else None
        if trimmed is None:
            reasons.append(
                Issue(
                    "length", name, f"{label} has {len(values[name])} characters; at most {limit}."
                )
            )
        else:
            repairs.append(
                Issue(
                    "length",
                    name,
                    f"{label} trimmed from {len(values[name])} to {len(trimmed)} characters "
                    f"(limit {limit}).",
                )
            )
            values[name] = trimmed
    for name in FIELDS:
        label = FIELD_LABELS[name]
        text = values[name]
        for word in phrases_in(text, config.words_to_avoid):
            reasons.append(Issue("avoided_word", name, f'{label} uses "{word}", a word to avoid.'))
        for written, value, is_percentage in numbers_in(text):
            supported = numbers.percentages if is_percentage else numbers.plain
            if value not in supported:
                reasons.append(
                    Issue(
                        "unsupported_number",
                        name,
                        f'{label} says "{written}", which the product facts do not.',
                    )
                )
        for link in LINK.findall(text):
            reasons.append(
                Issue("link", name, f'{label} holds the address "{link}"; ads carry none.')
            )
        if repeats_run(text, instruction_runs, facts):
            reasons.append(
                Issue("prompt_leak", name, f"{label} repeats the generator's instructions.")
            )
        for phrase in phrases_in(text, config.claim_phrases):
            if not phrases_in(facts, [phrase]):
                reasons.append(
                    Issue(
                        "unsupported_claim",
                        name,
                        f'{label} claims "{phrase}", which the product facts do not.',
                    )
                )
    return replace(variant, **values), reasons, repairs


def check_variants(
    variants: Sequence[Variant],
    *,
    facts: str,
    config: CheckConfig = CheckConfig(),
    embed: Embed | None = None,
) -> list[CheckResult]:
    """Check `variants` against the product facts (one text: title, attributes, price, category,
    review aspects...) and the config; returns one result per variant, in order.

    Duplicates are looked for among the variants that pass the other checks, in order: the
    first of a group is kept. `embed` is called at most once, with the texts of the variants
    that survive the Jaccard pre-filter.
    """
    numbers = _fact_numbers(facts)
    runs = word_runs(config.instructions) if config.instructions else ()
    checked = [
        _check_one(v, facts=facts, numbers=numbers, config=config, instruction_runs=runs)
        for v in variants
    ]
    duplicate_of: dict[int, int] = {}
    candidates = [i for i, (_, reasons, _) in enumerate(checked) if not reasons]
    if config.duplicate_jaccard is not None:
        grams = {i: char_ngrams(checked[i][0].text(), config.ngram_size) for i in candidates}
        kept: list[int] = []
        for i in candidates:
            for j in kept:
                if jaccard(grams[i], grams[j]) >= config.duplicate_jaccard:
                    duplicate_of[i] = j
                    break
            else:
                kept.append(i)
        candidates = kept
    if embed is not None and len(candidates) > 1:
        similarity = cosine_matrix(np.asarray(embed([checked[i][0].text() for i in candidates])))
        kept_positions: list[int] = []
        for position, i in enumerate(candidates):
            for kept_position in kept_positions:
                if similarity[position, kept_position] >= config.duplicate_cosine:
                    duplicate_of[i] = candidates[kept_position]
                    break
            else:
                kept_positions.append(position)
    results = []
    for index, (variant, reasons, repairs) in enumerate(checked):
        reasons = list(reasons)
        if index in duplicate_of:
            reasons.append(
                Issue(
                    "duplicate",
                    "headline",
                    f"Too close to variant {duplicate_of[index] + 1} of this batch.",
                )
            )
        outcome: Outcome = "rejected" if reasons else ("repaired" if repairs else "ok")
        results.append(
            CheckResult(
                index=index,
                outcome=outcome,
                variant=variant,
                reasons=tuple(reasons),
                repairs=tuple(repairs),
                duplicate_of=duplicate_of.get(index),
            )
        )
    return results
