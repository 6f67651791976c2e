"""Writing ad copy with the generator: the prompt, parsing what it writes, the training pairs of
the brand-voice fine-tune, and diversity measures. Pure: no Django.

The prompt is few-shot: the brand voice (tone words, words to avoid), the rules, then examples
of approved copy, each as the product's facts followed by its copy, then the product to write
for, ending in "Headline:" so the model continues with the copy itself:

    Product: Merino crew jumper
    Category: Knitwear
    Price: 75.00 GBP
    colour: navy
    Customers like: softness, warmth
    Headline: Soft merino for cold days
    Body: A navy crew neck in merino wool, praised for its softness.
    Call to action: Shop the jumper
    ###

A fine-tune learns the same layout: prompt = voice + facts + "Headline:", completion = the
approved copy after it (`training_pair`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from marketing.copy_checks import CheckConfig, CheckResult, Embed, Limits, Variant, check_variants

RECORD_END = "###"
NO_LIMITS = Limits()
# Generation stops at the end of a record, or where the model starts another product.
STOP_STRINGS = (RECORD_END, "\nProduct:", "\n\n\n")
MAX_EXAMPLES = 3

_LABELS = {
    "headline": ("headline", "title"),
    "body": ("body", "text", "description"),
    "call_to_action": ("call to action", "cta", "call-to-action", "action"),
}
_LINE = re.compile(r"^\s*\**\s*(?P<label>[A-Za-z][A-Za-z -]{1,20}?)\s*\**\s*:\s*(?P<value>.*)$")


def _one_line(value: object) -> str:
    """The value on one line, without the record marker."""
    return " ".join(str(value).replace(RECORD_END, " ").split())


@dataclass(frozen=True)
class ProductFacts:
    """What copy about a product may state."""

    title: str
    category: str = ""
    price: str = ""  # "59.00 GBP"; empty when copy should not mention a price
    attributes: tuple[tuple[str, str], ...] = ()
    liked_aspects: tuple[str, ...] = ()  # what reviews praise most, best first
    offer: str = ""  # the campaign's offer ("20% off"), if any

    def lines(self) -> list[str]:
        """One line per fact. Values come from imported product data, which anyone upstream
        may have written: each is kept to one line and stripped of the record marker, so a
        value cannot start a field of its own ("Headline: ...") or end the record."""
        lines = [f"Product: {_one_line(self.title)}"]
        if self.category:
            lines.append(f"Category: {_one_line(self.category)}")
        if self.price:
            lines.append(f"Price: {_one_line(self.price)}")
        lines += [
            f"{_one_line(key)}: {_one_line(value)}"
            for key, value in self.attributes
            if str(value).strip()
        ]
        if self.liked_aspects:
            lines.append(f"Customers like: {', '.join(_one_line(a) for a in self.liked_aspects)}")
        if self.offer:
            lines.append(f"Offer: {_one_line(self.offer)}")
        return lines

    def text(self) -> str:
        """The facts as one text (what the copy checks compare numbers and claims with)."""
        return "\n".join(self.lines())


@dataclass(frozen=True)
class Voice:
    """The brand voice guide as the prompt states it."""

    tone_words: tuple[str, ...] = ()
    words_to_avoid: tuple[str, ...] = ()


@dataclass(frozen=True)
class Example:
    """An approved variant with the facts of its product (a few-shot example)."""

    facts: ProductFacts
    copy: Variant
    channel: str = ""


# Shown when the store has no approved copy yet, so the generator still sees the layout.
LAYOUT_EXAMPLE = Example(
    facts=ProductFacts(
        title="Canvas tote bag",
        category="Bags",
        price="25.00 GBP",
        attributes=(("colour", "natural"),),
    ),
    copy=Variant(
        "A tote for every day", "Natural canvas with room for all you carry.", "Shop the tote"
    ),
)


def _limits_line(limits: Limits) -> str:
    parts = [
        f"{label} at most {value} characters"
        for label, value in (
            ("headline", limits.headline),
            ("body", limits.body),
            ("call to action", limits.call_to_action),
        )
        if value
    ]
    return ("Keep the " + "; ".join(parts) + ".") if parts else ""


def instructions(voice: Voice, limits: Limits) -> str:
    """The fixed head of every prompt: the task, the layout, the voice and the rules."""
    lines = [
        "Write a short ad for the product below, in the store's voice, as three lines: "
        "Headline, Body and Call to action, then ###."
    ]
    if voice.tone_words:
        lines.append(f"Tone: {', '.join(voice.tone_words)}.")
    if voice.words_to_avoid:
        lines.append(f"Never use these words: {', '.join(voice.words_to_avoid)}.")
    lines.append(
        "Use only the facts given: no other numbers, prices, discounts or promises "
        "(free shipping, waterproof, best ...)."
    )
    if limits_line := _limits_line(limits):
        lines.append(limits_line)
    return "\n".join(lines)


def copy_text(copy: Variant) -> str:
    """The copy in the prompt's layout, starting after "Headline:"."""
    return (
        f" {copy.headline.strip()}\nBody: {copy.body.strip()}\n"
        f"Call to action: {copy.call_to_action.strip()}\n{RECORD_END}"
    )


def build_prompt(
    facts: ProductFacts,
    *,
    voice: Voice,
    limits: Limits = NO_LIMITS,
    examples: Sequence[Example] = (),
) -> str:
    """The few-shot prompt (see the module docstring); at most MAX_EXAMPLES examples."""
    parts = [instructions(voice, limits), ""]
    for example in list(examples)[:MAX_EXAMPLES] or [LAYOUT_EXAMPLE]:
        parts += example.facts.lines()
        parts.append("Headline:" + copy_text(example.copy))
    parts += facts.lines()
    parts.append("Headline:")
    return "\n".join(parts)


def training_pair(
    facts: ProductFacts, copy: Variant, *, voice: Voice, limits: Limits = NO_LIMITS
) -> tuple[str, str]:
    """(prompt, completion) for the brand-voice fine-tune: the zero-shot prompt of the product
    and its approved copy, so the tuned model writes in the voice without examples."""
    return build_prompt(facts, voice=voice, limits=limits), copy_text(copy)


@dataclass(frozen=True)
class Parsed:
    """What the generator wrote, read into the variant's fields; `problem` says why it could
    not be read (then the variant is rejected, and `raw` is kept for the marketer)."""

    variant: Variant
    raw: str
    problem: str = ""


def _clean(value: str) -> str:
    value = value.strip().strip("*").strip()
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        value = value[1:-1].strip()
    return re.sub(r"\s+", " ", value)


def _label_of(text: str) -> str | None:
    name = text.strip().lower()
    for field_name, aliases in _LABELS.items():
        if name in aliases:
            return field_name
    return None


def parse_completion(text: str) -> Parsed:
    """Read a completion of a prompt ending in "Headline:" into headline, body and call to
    action. The headline is the first line; later fields come from "Body:" and "Call to
    action:" lines (a line without a label continues the field before it). Stops at the end of
    the record. Needs a headline and at least a body or a call to action."""
    raw = text
    for stop in STOP_STRINGS:
        text = text.split(stop, 1)[0]
    lines = text.split("\n")
    values: dict[str, list[str]] = {"headline": [], "body": [], "call_to_action": []}
    current = "headline"
    first = lines[0]
    match = _LINE.match(first)
    if match and _label_of(match.group("label")) is not None:
        current = _label_of(match.group("label")) or "headline"
        first = match.group("value")
    values[current].append(first)
    for line in lines[1:]:
        if not line.strip():
            continue
        match = _LINE.match(line)
        label = _label_of(match.group("label")) if match else None
        if label is None:
            if match:  # another "Label: value" line (Price:, Tone: ...): the copy has ended
                break
            values[current].append(line)
            continue
        if values[label]:  # a field written twice: a second ad has begun
            break
        current = label
        values[label].append(match.group("value"))
    variant = Variant(
        headline=_clean(" ".join(values["headline"])),
        body=_clean(" ".join(values["body"])),
        call_to_action=_clean(" ".join(values["call_to_action"])),
    )
    if not variant.headline:
        return Parsed(variant, raw, "The generator wrote no headline.")
    if not variant.body and not variant.call_to_action:
        return Parsed(
            variant, raw, "The generator wrote a headline only (no body or call to action)."
        )
    return Parsed(variant, raw)


UNREADABLE = "unreadable"


def unreadable_record(parsed: Parsed) -> dict:
    """The check record of a completion that could not be read (CheckResult.as_record's
    shape, reason code "unreadable")."""
    return {
        "outcome": "rejected",
        "reasons": [{"code": UNREADABLE, "field": "headline", "message": parsed.problem}],
        "repairs": [],
        "duplicate_of": None,
    }


def review_completions(
    completions: Sequence[str],
    *,
    facts: str,
    config: CheckConfig,
    embed: Embed | None = None,
) -> list[tuple[Parsed, CheckResult | None]]:
    """Read each completion and check the readable ones together (so near-duplicates among
    them are found); per completion, in order: (what was read, its check result, or None when
    it could not be read)."""
    parsed = [parse_completion(text) for text in completions]
    readable = [i for i, item in enumerate(parsed) if not item.problem]
    checked = check_variants(
        [parsed[i].variant for i in readable], facts=facts, config=config, embed=embed
    )
    results: dict[int, CheckResult] = dict(zip(readable, checked, strict=True))
    return [(item, results.get(i)) for i, item in enumerate(parsed)]


# --- diversity ------------------------------------------------------------------------------


def _words(text: str) -> list[str]:
    return re.findall(r"[\w']+", text.lower())


def distinct_n(texts: Iterable[str], n: int) -> float:
    """Distinct-n (Li et al., 2016): distinct word n-grams / all word n-grams over `texts`;
    0 when there is no n-gram."""
    grams: list[tuple[str, ...]] = []
    for text in texts:
        words = _words(text)
        grams += [tuple(words[i : i + n]) for i in range(len(words) - n + 1)]
    return len(set(grams)) / len(grams) if grams else 0.0


@dataclass
class RejectionTally:
    """Counts of variants by outcome and of rejections by reason code (a variant with two
    reasons counts under both)."""

    total: int = 0
    passed: int = 0
    by_reason: dict[str, int] = field(default_factory=dict)

    def add(self, *, passed: bool, reasons: Iterable[str]) -> None:
        self.total += 1
        self.passed += int(passed)
        for code in set(reasons):
            self.by_reason[code] = self.by_reason.get(code, 0) + 1

    @property
    def pass_rate(self) -> float:
        return self.passed / self.total if self.total else 0.0
