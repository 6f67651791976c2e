"""Assigning aspects to opinion units without aspect-labelled training data.

Each aspect is represented by prototypes: its description and its example sentences, embedded
with the same encoder as the review units. With L2-normalised embeddings u (a unit) and p (a
prototype), cosine similarity is the dot product u . p, and

    sim(u, a) = max_{p in prototypes(a)} u . p

The decision adds a small keyword hint: score(u, a) = sim(u, a) + keyword_bonus when the unit
contains one of the aspect's hint terms (the words of its name, plus the default keywords of
a default aspect). A unit gets every aspect a with

    score(u, a) >= threshold   and   score(u, a) >= max_b score(u, b) - margin

(at most `max_aspects` of them, best first). The margin keeps a unit about one aspect from
also being given the aspects it merely resembles ("The colours faded in the wash" is about
colour, though it resembles quality), while a unit about two aspects ("Great quality and fast
delivery") scores high on both. The keyword hint only moves scores by a few hundredths: a
unit that does not resemble an aspect's prototypes never gets it from a keyword alone.

The threshold and margin were calibrated on the hand-written sentences of
`calibration.CALIBRATION_SENTENCES` with the packaged MiniLM (see `calibrate_threshold`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from insights.aspect_engine.defaults import DEFAULT_ASPECTS

Embed = Callable[[Sequence[str]], np.ndarray]

_WORD = re.compile(r"[a-z]+")
_DEFAULT_KEYWORDS = {aspect.name: aspect.keywords for aspect in DEFAULT_ASPECTS}


@dataclass(frozen=True)
class MatchConfig:
    """threshold: lowest score that assigns an aspect; margin: how far below the unit's best
    score another aspect may be and still be assigned; keyword_bonus: added to the score when
    the unit names a hint term of the aspect; max_aspects: most aspects per unit."""

    threshold: float = 0.45
    margin: float = 0.08
    keyword_bonus: float = 0.05
    max_aspects: int = 2

    def __post_init__(self) -> None:
        if not -1.0 <= self.threshold <= 1.0:
            raise ValueError("threshold must lie in [-1, 1].")
        if self.margin < 0 or self.keyword_bonus < 0 or self.max_aspects < 1:
            raise ValueError("margin and keyword_bonus must be >= 0, max_aspects >= 1.")


@dataclass(frozen=True)
class AspectDefinition:
    """What the matcher knows of an aspect: its name, prototype texts and hint terms."""

    name: str
    description: str
    examples: tuple[str, ...] = ()
    hint_terms: frozenset[str] = field(default_factory=frozenset)

    @property
    def prototypes(self) -> list[str]:
        return [text for text in (self.description, *self.examples) if text.strip()]


@dataclass(frozen=True)
class AspectMatch:
    """Aspect `index` (into the matcher's definitions) and the unit's cosine similarity to it."""

    index: int
    similarity: float


def words(text: str) -> list[str]:
    """Lower-case alphabetic words of a text."""
    return _WORD.findall(text.lower())


def aspect_hint_terms(name: str) -> frozenset[str]:
    """Words that name the aspect: the words of its name, plus the keywords of the default
    aspect of that name (an aspect staff added has its name's words only)."""
    return frozenset(words(name)) | frozenset(_DEFAULT_KEYWORDS.get(name, ()))


def aspect_definition(name: str, description: str, examples: Sequence[str]) -> AspectDefinition:
    return AspectDefinition(
        name=name,
        description=description,
        examples=tuple(example for example in examples if example.strip()),
        hint_terms=aspect_hint_terms(name),
    )


def similarity_matrix(
    unit_embeddings: np.ndarray, prototype_embeddings: np.ndarray, owners: Sequence[int], n: int
) -> np.ndarray:
    """sim[i, a] = max over the prototypes p owned by aspect a of unit_i . p (shape (units, n)).

    An aspect without prototypes gets -1 (never assigned).
    """
    sims = np.full((len(unit_embeddings), n), -1.0, dtype=np.float32)
    if len(unit_embeddings) == 0 or len(prototype_embeddings) == 0:
        return sims
    dots = unit_embeddings @ prototype_embeddings.T
    owner_array = np.asarray(owners)
    for aspect in range(n):
        columns = owner_array == aspect
        if columns.any():
            sims[:, aspect] = dots[:, columns].max(axis=1)
    return sims


def keyword_hits(units: Sequence[str], hint_terms: Sequence[frozenset[str]]) -> np.ndarray:
    """hits[i, a] = 1.0 when unit i contains a hint term of aspect a, else 0.0."""
    hits = np.zeros((len(units), len(hint_terms)), dtype=np.float32)
    for i, unit in enumerate(units):
        present = set(words(unit))
        for a, terms in enumerate(hint_terms):
            if present & terms:
                hits[i, a] = 1.0
    return hits


def assign_aspects(scores: np.ndarray, config: MatchConfig) -> list[list[int]]:
    """The aspects of each unit (indices, best first) by the threshold-and-margin rule."""
    assigned = []
    for row in scores:
        if row.size == 0:
            assigned.append([])
            continue
        best = float(row.max())
        chosen = [
            int(a)
            for a in np.argsort(-row, kind="stable")
            if row[a] >= config.threshold and row[a] >= best - config.margin
        ]
        assigned.append(chosen[: config.max_aspects])
    return assigned


class AspectMatcher:
    """Matches opinion units to aspects with an injected `embed` function (an encoder's)."""

    def __init__(
        self,
        definitions: Sequence[AspectDefinition],
        embed: Embed,
        config: MatchConfig | None = None,
    ) -> None:
        self.definitions = tuple(definitions)
        self.embed = embed
        self.config = config or MatchConfig()
        texts: list[str] = []
        owners: list[int] = []
        for index, definition in enumerate(self.definitions):
            for text in definition.prototypes:
                texts.append(text)
                owners.append(index)
        self.owners = owners
        self.prototype_embeddings = embed(texts) if texts else np.zeros((0, 1), np.float32)

    def scores(self, units: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """(similarities, decision scores) of each unit against each aspect."""
        n = len(self.definitions)
        if not units or n == 0:
            empty = np.zeros((len(units), n), dtype=np.float32)
            return empty, empty
        sims = similarity_matrix(self.embed(list(units)), self.prototype_embeddings, self.owners, n)
        hits = keyword_hits(units, [d.hint_terms for d in self.definitions])
        return sims, sims + self.config.keyword_bonus * hits

    def match(self, units: Sequence[str]) -> list[list[AspectMatch]]:
        """For each unit, its aspects (best first) with their cosine similarities."""
        sims, scores = self.scores(units)
        return [
            [AspectMatch(index=a, similarity=float(sims[i, a])) for a in chosen]
            for i, chosen in enumerate(assign_aspects(scores, self.config))
        ]


@dataclass(frozen=True)
class MatchQuality:
    threshold: float
    precision: float
    recall: float
    f1: float


def match_quality(
    predicted: Sequence[set[str]], expected: Sequence[set[str]], threshold: float = float("nan")
) -> MatchQuality:
    """Micro precision, recall and F1 over (unit, aspect) pairs:
    P = TP / (TP + FP), R = TP / (TP + FN), F1 = 2PR / (P + R) (0 when undefined)."""
    tp = sum(len(p & e) for p, e in zip(predicted, expected, strict=True))
    fp = sum(len(p - e) for p, e in zip(predicted, expected, strict=True))
    fn = sum(len(e - p) for p, e in zip(predicted, expected, strict=True))
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return MatchQuality(threshold, precision, recall, f1)


def calibrate_threshold(
    scores: np.ndarray,
    names: Sequence[str],
    expected: Sequence[set[str]],
    config: MatchConfig,
    candidates: Sequence[float] = tuple(np.round(np.arange(0.30, 0.701, 0.01), 2)),
) -> list[MatchQuality]:
    """Match quality of each candidate threshold (other settings from `config`) on units with
    known aspects, from their decision scores; pick the threshold with the best F1."""
    results = []
    for threshold in candidates:
        trial = MatchConfig(
            threshold=float(threshold),
            margin=config.margin,
            keyword_bonus=config.keyword_bonus,
            max_aspects=config.max_aspects,
        )
        predicted = [{names[a] for a in chosen} for chosen in assign_aspects(scores, trial)]
        results.append(match_quality(predicted, expected, float(threshold)))
    return results
