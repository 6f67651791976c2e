"""How an answer is put together and checked, and when a conversation goes to a person
(pure: no Django, no models).

Grounding: an answer may only state what its sources say. `ungrounded_claims` lists every
number, date word, currency, order status and policy term of a proposed answer that does not
occur in the sources (cited passages and order tool results); a generated answer with any
such claim is rejected and the extractive answer (the sources' own sentences) is used.

Handoff (`handoff_reason`), first rule that holds wins:
1. asked_for_human: the intent is talk_to_human, or the message asks for a person in so
   many words ("can I talk to a human", "real person", "an agent").
2. negative_complaint: the intent is complaint and the sentiment champion calls the message
   negative; when there is no sentiment champion a complaint alone hands over (a complaint
   the assistant cannot judge is better seen by a person).
3. low_confidence: the intent model was unsure (below its reject threshold) on this message
   and on the shopper's previous one.
4. repeated_question: the message's embedding has cosine similarity >= the repeat threshold
   with an earlier shopper message of the conversation (the shopper asks again: the answer
   did not help).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass

from ml.text_guards import LEAK_RUN_WORDS, LINK, normalised_words, repeats_run, word_runs

ORDER_INTENTS = frozenset({"order_status", "return_request", "refund", "exchange_size_change"})
RETURN_INTENTS = frozenset({"return_request", "refund", "exchange_size_change"})
GREETING_INTENT = "greeting_other"
HUMAN_INTENT = "talk_to_human"
COMPLAINT_INTENT = "complaint"
NEGATIVE = "negative"

DONT_KNOW = (
    "I'm sorry, I don't know the answer to that. Would you like me to pass you to a member "
    "of our support team?"
)
GREETING = (
    "Hello! I can help with your orders, delivery, returns, refunds, exchanges, sizing, "
    "payment and product questions. What can I do for you?"
)
HANDOFF_NOTICE = (
    "I've passed your conversation to our support team; a person will reply here as soon as "
    "possible."
)

NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
NUMBER_WORDS = (
    "one two three four five six seven eight nine ten eleven twelve fourteen fifteen "
    "twenty thirty forty fifty sixty ninety hundred"
).split()
DATE_WORDS = (
    "january february march april may june july august september october november december "
    "jan feb mar apr jun jul aug sep sept oct nov dec monday tuesday wednesday thursday "
    "friday saturday sunday today tomorrow yesterday tonight weekend"
).split()
CURRENCIES = ("$", "€", "£", "eur", "usd", "gbp", "chf")
ORDER_STATUS_TERMS = (
    "pending",
    "paid",
    "shipped",
    "dispatched",
    "delivered",
    "cancelled",
    "canceled",
    "returned",
    "refunded",
    "in transit",
    "out for delivery",
    "on its way",
    "processing",
)
POLICY_TERMS = (
    "free",
    "refund",
    "full refund",
    "partial refund",
    "store credit",
    "voucher",
    "gift card",
    "exchange",
    "return label",
    "prepaid",
    "final sale",
    "non-returnable",
    "restocking",
    "fee",
    "warranty",
    "guarantee",
    "express",
    "next-day",
    "next day",
    "same-day",
    "same day",
    "eligible",
    "not eligible",
    "no longer eligible",
    "business days",
    "working days",
    "unworn",
    "tags",
    "original packaging",
    "worldwide",
    "international",
)
HUMAN_REQUEST = re.compile(
    r"\b(?:human|real person|a person|actual person|live agent|an agent|support agent|"
    r"representative|someone real|customer service (?:rep|person)|"
    r"(?:speak|talk|chat) (?:to|with) (?:someone|somebody|a person|staff))\b",
    re.IGNORECASE,
)


# The prompt's own instructions (generation_prompt): an answer that repeats a run of this
# many of their words is leaking the prompt ("repeat the text above").
PROMPT_LEAK_WORDS = LEAK_RUN_WORDS


def _has_term(words: str, term: str) -> bool:
    """Whether `words` (see _words) holds `term` as whole words, singular or plural."""
    forms = {term, f"{term}s", term.removesuffix("s")}
    return any(f" {form} " in words for form in forms if form)


def _numbers(text: str) -> set[float]:
    values = set()
    for token in NUMBER.findall(text):
        cleaned = token.replace(",", "")
        try:
            values.add(round(float(cleaned), 4))
        except ValueError:
            continue
    return values


def ungrounded_claims(answer: str, sources: Sequence[str]) -> list[str]:
    """The claims of `answer` that no source supports (empty when the answer is grounded):
    numbers (compared by value), number and date words, currency signs and codes, order
    statuses and policy terms (compared as whole words, singular or plural,
    case-insensitively)."""
    source_text = "\n".join(sources)
    source_numbers = _numbers(source_text)
    source_words = normalised_words(source_text)
    answer_words = normalised_words(answer)
    claims: list[str] = []
    for token in NUMBER.findall(answer):
        try:
            value = round(float(token.replace(",", "")), 4)
        except ValueError:
            claims.append(token)
            continue
        if value not in source_numbers:
            claims.append(token)
    for term in (*NUMBER_WORDS, *DATE_WORDS, *ORDER_STATUS_TERMS, *POLICY_TERMS):
        if _has_term(answer_words, term) and not _has_term(source_words, term):
            claims.append(term)
    lowered_answer, lowered_sources = answer.lower(), source_text.lower()
    for currency in CURRENCIES:
        pattern = re.escape(currency) if not currency.isalpha() else rf"\b{currency}\b"
        if re.search(pattern, lowered_answer) and not re.search(pattern, lowered_sources):
            claims.append(currency)
    for link in LINK.findall(answer):
        if link.lower().rstrip(".,;:!?)") not in lowered_sources:
            claims.append(link)
    if _repeats_instructions(answer, source_text):
        claims.append("the assistant's instructions")
    return claims


def _repeats_instructions(answer: str, sources: str) -> bool:
    """Whether the answer holds a run of PROMPT_LEAK_WORDS words of the prompt's instructions
    and worked example (its text before the real facts) that the sources do not hold."""
    return repeats_run(answer, _instruction_runs(), sources)


@functools.cache
def _instruction_runs() -> tuple[str, ...]:
    """Every run of PROMPT_LEAK_WORDS words of the prompt before its facts (built once)."""
    return word_runs(generation_prompt("", []).rsplit("Facts:", 1)[0], PROMPT_LEAK_WORDS)


def passage_body(passage_text: str, title: str) -> str:
    """A passage without the "Title: " prefix it was indexed with."""
    prefix = f"{title.strip()}: "
    return passage_text[len(prefix) :] if passage_text.startswith(prefix) else passage_text


def extractive_answer(tool_lines: Sequence[str], passages: Sequence[str]) -> str:
    """The answer made of the sources' own sentences: order tool results first, then the
    retrieved passages (best first)."""
    parts = [line.strip() for line in tool_lines if line.strip()]
    parts += [passage.strip() for passage in passages if passage.strip()]
    return " ".join(parts)


def generation_prompt(question: str, sources: Sequence[str]) -> str:
    """A few-shot prompt asking a (base) language model to answer `question` in one line from
    the facts only. The example is about another topic, so copying it fails the check. The
    question is already redacted; the facts are the store's own."""
    facts = " ".join(source.strip() for source in sources)
    return (
        "Answers of an online clothing store's support assistant. Each answer is one or two "
        "friendly sentences that use only the facts given, with no other numbers, dates, "
        "prices or promises.\n\n"
        "Facts: Wool should be washed by hand in cold water and dried flat.\n"
        "Question: can I put my wool jumper in the washing machine?\n"
        "Answer: Please wash wool by hand in cold water and dry it flat, rather than using "
        "the machine.\n\n"
        f"Facts: {facts}\n"
        f"Question: {' '.join(question.split())}\n"
        "Answer:"
    )


def generated_answer_clean(text: str) -> str:
    """The generator's first line, trimmed; empty when it said nothing usable."""
    first = text.strip().split("\n")[0]
    first = first.split("Question:")[0].strip().strip('"').strip()
    return " ".join(first.split())


@dataclass(frozen=True)
class TurnSignals:
    """What the handoff rules look at for one shopper message."""

    intent: str | None
    text: str
    model_unsure: bool = False
    previous_model_unsure: bool = False
    sentiment: str | None = None
    sentiment_available: bool = False
    max_similarity_to_earlier: float = 0.0


def handoff_reason(signals: TurnSignals, *, repeat_threshold: float) -> str | None:
    """The reason to hand the conversation to a person (a Handoff.Reason value), or None;
    the rules are in the module docstring."""
    if signals.intent == HUMAN_INTENT or HUMAN_REQUEST.search(signals.text):
        return "asked_for_human"
    if signals.intent == COMPLAINT_INTENT and (
        signals.sentiment == NEGATIVE or not signals.sentiment_available
    ):
        return "negative_complaint"
    if signals.model_unsure and signals.previous_model_unsure:
        return "low_confidence"
    if signals.max_similarity_to_earlier >= repeat_threshold:
        return "repeated_question"
    return None
