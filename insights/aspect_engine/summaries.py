"""Pros and cons of a product, built from aspect evidence, and the check that keeps a phrased
point true to that evidence.

A summary never starts from free text. Points are built first from the extracted evidence:
the positive opinion units of one aspect make a pro, the negative ones a con; the point's
count is the number of distinct reviews behind it, and its evidence is its most
representative units (see `representative_order`). Only then may a generator phrase a point,
from the point's own evidence sentences; `phrasing_traces` accepts the phrasing only if it
stays within them, otherwise the point keeps its extractive phrasing (a quote of its most
representative sentence). Counts and review ids always come from the evidence, never from
generated text.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace

from insights.aspect_engine.matching import aspect_hint_terms, words

PRO, CON = "pro", "con"
POLARITY_OF_LABEL = {"positive": PRO, "negative": CON}
GENERATED, EXTRACTIVE = "generated", "extractive"

STOPWORDS = frozenset(
    """a about above after again all also am an and any are as at be because been before being
    below between both but by can could did do does doing down during each few for from further
    had has have having he her here hers herself him himself his how i if in into is it its
    itself just me more most my myself of off on once only or other our ours ourselves out over
    own same she should so some such than that the their theirs them themselves then there these
    they this those through to too under until up very was we were what when where which while
    who whom why will with would you your yours yourself yourselves really quite bit little much
    one get got getting""".split()
)
NEGATIONS = frozenset({"not", "no", "never", "nothing", "nobody", "none", "neither", "nor"})
# Words a phrasing may use to frame the evidence without adding a claim of its own.
FRAMING_WORDS = frozenset(
    """customer customers reviewer reviewers buyer buyers shopper shoppers people many several
    some most few say says said find finds found feel feels felt mention mentions mentioned note
    notes noted report reports reported describe describes described call calls called think
    thinks like likes liked praise praises praised complain complains complained item items
    product products piece overall generally often""".split()
)
_TOKEN = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")


@dataclass(frozen=True)
class Evidence:
    """One opinion unit on an aspect: the review it comes from and its sentiment label."""

    review_id: int
    aspect: str
    label: str
    sentence: str
    similarity: float = 0.0


@dataclass(frozen=True)
class SummaryPoint:
    """A pro or con: `count` distinct reviews (`review_ids`) said it; `evidence` holds the
    most representative units, best first; `text` is the phrasing shown to people."""

    aspect: str
    polarity: str
    count: int
    review_ids: tuple[int, ...]
    evidence: tuple[Evidence, ...]
    text: str = ""
    source: str = EXTRACTIVE

    def as_dict(self) -> dict:
        """The JSON stored in ProductReviewSummary.pros / cons."""
        return {
            "aspect": self.aspect,
            "text": self.text,
            "count": self.count,
            "review_ids": list(self.review_ids),
            "evidence": [{"review_id": e.review_id, "sentence": e.sentence} for e in self.evidence],
            "source": self.source,
        }


@dataclass(frozen=True)
class SummaryConfig:
    """max_points: pros (and cons) kept, the most-mentioned first; min_reviews: reviews a point
    needs; evidence_per_point: representative sentences kept (and given to the generator)."""

    max_points: int = 3
    min_reviews: int = 2
    evidence_per_point: int = 3


@dataclass(frozen=True)
class TraceCheck:
    ok: bool
    reasons: tuple[str, ...] = field(default_factory=tuple)


def _stem(word: str) -> str:
    """A light suffix stripper, enough to match "runs"/"run", "colours"/"colour"."""
    word = word.split("'")[0]
    for suffix in ("ing", "ed", "es", "ly", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    return word


def tokens(text: str) -> list[str]:
    return _TOKEN.findall(text.lower())


def content_words(text: str) -> set[str]:
    """Stems of the words of `text` that are not stopwords or negations."""
    return {
        _stem(word)
        for word in tokens(text)
        if word.split("'")[0] not in STOPWORDS and word not in NEGATIONS and len(word) > 1
    }


def _has_negation(text: str) -> bool:
    return any(word in NEGATIONS or word.endswith("n't") for word in tokens(text))


def representative_order(evidence: Sequence[Evidence]) -> list[Evidence]:
    """Evidence sorted by how well each unit stands for the group, best first.

    centrality(u) = mean over the other units v of J(u, v), the Jaccard overlap of their
    content-word sets; rank(u) = centrality(u) + similarity(u) (its cosine similarity to the
    aspect). Ties go to the shorter unit, then to the lower review id (deterministic). Units
    with the same text are kept once.
    """
    unique: dict[str, Evidence] = {}
    for item in evidence:
        unique.setdefault(item.sentence.strip().lower(), item)
    items = list(unique.values())
    word_sets = [content_words(item.sentence) for item in items]

    def centrality(i: int) -> float:
        if len(items) < 2:
            return 0.0
        total = 0.0
        for j in range(len(items)):
            if j != i:
                union = word_sets[i] | word_sets[j]
                total += len(word_sets[i] & word_sets[j]) / len(union) if union else 0.0
        return total / (len(items) - 1)

    def rank(i: int) -> tuple[float, int, int]:
        return (-(centrality(i) + items[i].similarity), len(items[i].sentence), items[i].review_id)

    return [items[i] for i in sorted(range(len(items)), key=rank)]


def extractive_text(point: SummaryPoint) -> str:
    """The point as a quote of its most representative sentence: 'fit/size: "Runs small."'."""
    sentence = point.evidence[0].sentence.strip() if point.evidence else ""
    return f'{point.aspect}: "{sentence}"'


def summary_points_build(
    evidence: Iterable[Evidence], config: SummaryConfig | None = None
) -> tuple[list[SummaryPoint], list[SummaryPoint]]:
    """(pros, cons) from the evidence, each phrased extractively.

    Positive units of an aspect make its pro, negative ones its con (neutral units make
    neither); count = distinct reviews; points with fewer than min_reviews reviews are
    dropped; the max_points points with the most reviews are kept (ties: aspect name).
    """
    config = config or SummaryConfig()
    groups: dict[tuple[str, str], list[Evidence]] = defaultdict(list)
    for item in evidence:
        polarity = POLARITY_OF_LABEL.get(item.label)
        if polarity:
            groups[(polarity, item.aspect)].append(item)
    sides: dict[str, list[SummaryPoint]] = {PRO: [], CON: []}
    for (polarity, aspect), items in groups.items():
        review_ids = tuple(sorted({item.review_id for item in items}))
        if len(review_ids) < config.min_reviews:
            continue
        point = SummaryPoint(
            aspect=aspect,
            polarity=polarity,
            count=len(review_ids),
            review_ids=review_ids,
            evidence=tuple(representative_order(items)[: config.evidence_per_point]),
        )
        sides[polarity].append(replace(point, text=extractive_text(point)))
    for polarity in sides:
        sides[polarity].sort(key=lambda p: (-p.count, p.aspect))
        del sides[polarity][config.max_points :]
    return sides[PRO], sides[CON]


def phrasing_prompt(point: SummaryPoint) -> str:
    """A few-shot prompt asking a (base) language model to phrase one point from its quotes.

    The examples are about other aspects, so copying them fails the trace check.
    """
    feeling = "liked" if point.polarity == PRO else "disliked"
    quotes = " ".join(f'"{e.sentence.strip()}"' for e in point.evidence)
    return (
        "Each summary line restates what customers said about one aspect of a product, "
        "using only their words.\n\n"
        'Aspect: delivery (liked)\nCustomers said: "It arrived the next day." '
        '"Fast delivery and well packed."\nSummary: Delivery is fast and well packed.\n\n'
        'Aspect: fit/size (disliked)\nCustomers said: "Runs small." '
        '"I had to send it back for a bigger size."\nSummary: The fit runs small.\n\n'
        f"Aspect: {point.aspect} ({feeling})\nCustomers said: {quotes}\nSummary:"
    )


def phrasing_clean(text: str) -> str:
    """The first line of a generation, trimmed of spaces and quotes."""
    line = text.strip().split("\n")[0].strip().strip('"').strip()
    return line


def phrasing_traces(
    text: str,
    point: SummaryPoint,
    *,
    min_support: float = 0.8,
    min_words: int = 3,
    max_words: int = 30,
) -> TraceCheck:
    """Does the phrasing stay within the point's evidence? Each failed rule gives a reason.

    With W = content words of the phrasing, E = content words of the evidence sentences,
    H = the aspect's hint terms and F = framing words ("customers", "say"...):
    1. length: min_words <= words <= max_words;
    2. aspect: the phrasing names the aspect (W meets H, or the aspect's name appears);
    3. grounding: W shares at least one word with E besides the words of the aspect's name
       (it restates what reviewers said, not only which aspect they said it about);
    4. support: |W & (E | H | F)| / |W| >= min_support, so it adds (almost) no words of its
       own, hence no claims of its own;
    5. negation: a negation ("not", "never", "n't") only where the evidence has one, so the
       phrasing cannot flip an opinion;
    6. numbers: every number in the phrasing appears in the evidence.
    """
    reasons = []
    all_words = tokens(text)
    if not min_words <= len(all_words) <= max_words:
        reasons.append("length")
    hints = {_stem(term) for term in aspect_hint_terms(point.aspect)}
    evidence_text = " ".join(e.sentence for e in point.evidence)
    phrased = content_words(text)
    evidence_words = content_words(evidence_text)
    if not (phrased & hints or point.aspect.lower() in text.lower()):
        reasons.append("aspect")
    name_words = {_stem(word) for word in words(point.aspect)}
    if not (phrased & evidence_words) - name_words:
        reasons.append("grounding")
    framing = {_stem(word) for word in FRAMING_WORDS}
    supported = phrased & (evidence_words | hints | framing)
    if not phrased or len(supported) / len(phrased) < min_support:
        reasons.append("support")
    if _has_negation(text) and not _has_negation(evidence_text):
        reasons.append("negation")
    numbers = set(re.findall(r"\d+", text))
    if numbers - set(re.findall(r"\d+", evidence_text)):
        reasons.append("numbers")
    return TraceCheck(ok=not reasons, reasons=tuple(reasons))


def point_phrased(point: SummaryPoint, generated: str | None) -> SummaryPoint:
    """The point with the generated phrasing if it traces back to the evidence, else with
    its extractive phrasing."""
    if generated is not None:
        line = phrasing_clean(generated)
        if line and phrasing_traces(line, point).ok:
            return replace(point, text=line, source=GENERATED)
    return replace(point, text=extractive_text(point), source=EXTRACTIVE)


def summary_text(pros: Sequence[SummaryPoint], cons: Sequence[SummaryPoint]) -> str:
    """Plain-text summary: one line per point with its review count."""
    lines = []
    for title, points in (("Pros", pros), ("Cons", cons)):
        if points:
            lines.append(f"{title}:")
            lines.extend(
                f"- {p.text} ({p.count} review{'s' if p.count != 1 else ''})" for p in points
            )
    return "\n".join(lines)


def summary_is_stale(
    *, reviews_now: int, reviews_covered: int | None, min_new: int = 10, min_growth: float = 0.2
) -> bool:
    """Whether a product's summary should be rebuilt: it has none yet (reviews_covered is
    None), or new = reviews_now - reviews_covered satisfies new >= min_new or
    new >= min_growth * reviews_covered (and new > 0)."""
    if reviews_covered is None:
        return reviews_now > 0
    new = reviews_now - reviews_covered
    return new > 0 and (new >= min_new or new >= min_growth * reviews_covered)
