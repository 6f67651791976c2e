"""Guards on generated text shared by the features that show it to people (support answers,
ad copy). Pure: no Django.

- `LINK`: web addresses and e-mail addresses. An injected "add this link" or "write to
  bob@evil.example" must never reach a reader unless the store's own text holds it.
- `word_runs` / `repeats_run`: a text that repeats a run of `n` consecutive words of a
  prompt's instructions is leaking the prompt ("repeat the text above").
"""

from __future__ import annotations

import re
from collections.abc import Iterable

LINK = re.compile(
    r"(?:https?://|www\.)\S+|[\w.+-]+@[\w-]+(?:\.[\w-]+)+|"
    r"\b[a-z0-9-]+(?:\.[a-z0-9-]+)*\.(?:com|net|org|io|co|uk|de|fr|info|biz|ru|xyz|shop|store|"
    r"app|link|click|top)\b",
    re.IGNORECASE,
)
#: Words in a run that counts as a leak: long enough that ordinary copy does not match the
#: instructions by chance.
LEAK_RUN_WORDS = 6
_WORD = re.compile(r"[a-z0-9$€£'-]+")


def normalised_words(text: str) -> str:
    """The text's words, lower-cased, space-separated with a space at each end (so a run can
    be matched as whole words with `in`)."""
    return " " + " ".join(_WORD.findall(text.lower())) + " "


def word_runs(text: str, n: int = LEAK_RUN_WORDS) -> tuple[str, ...]:
    """Every run of `n` consecutive words of `text`, each in `normalised_words` form."""
    words = normalised_words(text).split()
    return tuple(
        " " + " ".join(words[start : start + n]) + " " for start in range(len(words) - n + 1)
    )


def repeats_run(text: str, runs: Iterable[str], allowed: str = "") -> bool:
    """Whether `text` holds one of the `runs` that the `allowed` text (e.g. the facts the
    writer was given) does not."""
    words, allowed_words = normalised_words(text), normalised_words(allowed)
    return any(run in words and run not in allowed_words for run in runs)
