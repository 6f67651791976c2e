"""The one contract every recommender implements, a registry by name, and save/load.

    model = create("cooccurrence", window=3)       # a frozen dataclass config, by keyword
    model.fit(train_data, validation=valid_set)     # InteractionData; validation is optional
    model.score(history)                            # float32 scores over all items
    model.recommend(history, k=10, exclude={42})    # top-k Recommendation(item, score, ...)
    model.save(directory); load(directory)          # JSON + safetensors, never pickle

A history is the user's item indices in time order (most recent last), so anonymous shoppers
(a session's recent events) and known customers are served the same way. `recommend` leaves out
the history's own items and any `exclude` items, and attaches to each item a reason code
(`viewed`, `bought_with`, `trending`, `similar`, ...) and, where the recommender can tell, the
anchor item of the history that caused it ("because you viewed X").

The saved directory holds `recommender.json` (name, config, catalogue size, format version)
and `arrays.safetensors` (the fitted state), so a Django job can store it as a model version.
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, fields, replace
from pathlib import Path
from typing import Any, ClassVar, NamedTuple

import numpy as np
from safetensors.numpy import load_file, save_file

from recommendations.engine.data import EvalSet, InteractionData
from recommendations.engine.metrics import top_k

FORMAT_VERSION = 1
META_FILE = "recommender.json"
ARRAYS_FILE = "arrays.safetensors"


class NotFitted(RuntimeError):
    """score/recommend/save was called before fit (or load)."""


class Recommendation(NamedTuple):
    """One recommended item: its index, score, reason code and the history item behind it.

    A named tuple rather than a dataclass: the nightly lists build about 150 of them per
    customer (three sources of 50 candidates), and a tuple is built several times faster."""

    item: int
    score: float
    reason: str
    anchor: int | None = None


def config_from_dict(config_class: type, values: dict[str, Any]) -> Any:
    """Build a config dataclass, rejecting unknown keys (a typo must not pass silently)."""
    known = {f.name for f in fields(config_class)}
    unknown = sorted(set(values) - known)
    if unknown:
        raise ValueError(f"Unknown {config_class.__name__} parameters: {', '.join(unknown)}.")
    # JSON turns tuples into lists; frozen configs keep tuples so they stay hashable.
    values = {k: tuple(v) if isinstance(v, list) else v for k, v in values.items()}
    return config_class(**values)


def as_histories(histories: Iterable[Sequence[int]]) -> list[np.ndarray]:
    return [np.asarray(h, dtype=np.int64).reshape(-1) for h in histories]


class Recommender(ABC):
    """Base class: subclasses set Config and implement _fit, score_batch, _state/_restore."""

    name: ClassVar[str] = ""
    Config: ClassVar[type]
    reason: ClassVar[str] = "recommended"

    def __init__(self, config: Any = None, **overrides: Any) -> None:
        if config is None:
            config = config_from_dict(self.Config, overrides)
        elif overrides:
            config = replace(config, **overrides)
        if not isinstance(config, self.Config):
            raise TypeError(f"{type(self).__name__} needs a {self.Config.__name__}.")
        self.config = config
        self.num_items: int | None = None
        self.item_counts: np.ndarray | None = None

    # -- the contract -------------------------------------------------------------------

    def fit(self, data: InteractionData, validation: EvalSet | None = None) -> Recommender:
        """Learn from the training sequences; `validation` is used only for early stopping."""
        self.num_items = data.num_items
        self.item_counts = data.item_counts()
        self._fit(data, validation)
        return self

    @abstractmethod
    def _fit(self, data: InteractionData, validation: EvalSet | None) -> None: ...

    @abstractmethod
    def score_batch(self, histories: Sequence[Sequence[int]]) -> np.ndarray:
        """(len(histories), num_items) float32 scores; higher means recommend sooner.

        A new array on every call, which the caller may change in place (ranking sets the
        banned items to -inf in it rather than copying a matrix as large as the catalogue)."""

    def score(self, history: Sequence[int]) -> np.ndarray:
        """Scores of every item for one history (float32, length num_items)."""
        return self.score_batch([history])[0]

    def anchors(self, history: Sequence[int], items: Sequence[int]) -> list[int | None]:
        """For each item, the history item that contributed most to its score (None: unknown)."""
        return [None] * len(items)

    def recommend(
        self,
        history: Sequence[int],
        k: int = 10,
        exclude: Iterable[int] = (),
        exclude_history: bool = True,
    ) -> list[Recommendation]:
        """The k best items, best first, without the history's and `exclude`'s items."""
        return self.recommend_batch([history], k, exclude, exclude_history)[0]

    def recommend_batch(
        self,
        histories: Sequence[Sequence[int]],
        k: int = 10,
        exclude: Iterable[int] = (),
        exclude_history: bool = True,
    ) -> list[list[Recommendation]]:
        """recommend() for each history, scored in one score_batch call (one forward pass of
        a neural model for all of them): the way to make many lists at once."""
        lists = []
        for history, (items, values) in zip(
            as_histories(histories),
            self.ranked_batch(histories, k, exclude, exclude_history),
            strict=True,
        ):
            anchors = self.anchors(history, items)
            lists.append(
                [
                    Recommendation(i, value, self.reason, anchor)
                    for i, value, anchor in zip(items, values, anchors, strict=True)
                ]
            )
        return lists

    def ranked_batch(
        self,
        histories: Sequence[Sequence[int]],
        k: int = 10,
        exclude: Iterable[int] = (),
        exclude_history: bool = True,
    ) -> list[tuple[list[int], list[float]]]:
        """recommend_batch()'s lists as plain (items, scores) pairs, without reasons and
        anchors: what a blender fuses by rank, for every customer at night, so no
        Recommendation is built for a candidate that does not make the final list."""
        self._check_fitted()
        if k < 1:
            raise ValueError("k must be at least 1.")
        arrays = as_histories(histories)
        if not arrays:
            return []
        excluded = np.asarray(list(exclude), dtype=np.int64)
        return self._ranked(arrays, k, excluded, exclude_history)

    def _ranked(
        self, arrays: list[np.ndarray], k: int, excluded: np.ndarray, exclude_history: bool
    ) -> list[tuple[list[int], list[float]]]:
        """ranked_batch() for checked arguments: rank every row of score_batch."""
        # score_batch's array is the caller's own: the banned items are set to -inf in it.
        all_scores = np.asarray(self.score_batch(arrays), dtype=np.float32)
        for row, history in enumerate(arrays):
            all_scores[row, excluded] = -np.inf
            if exclude_history:
                all_scores[row, history] = -np.inf
        tops = top_k(all_scores, k)
        ranked = []
        for scores, order in zip(all_scores, tops, strict=True):
            order = order[np.isfinite(scores[order])]
            ranked.append((order.tolist(), scores[order].tolist()))
        return ranked

    # -- persistence ----------------------------------------------------------------------

    @abstractmethod
    def _state(self) -> dict[str, np.ndarray]:
        """The fitted arrays to save."""

    @abstractmethod
    def _restore(self, arrays: dict[str, np.ndarray]) -> None:
        """Inverse of _state."""

    def save(self, directory: str | Path) -> Path:
        """Write recommender.json and arrays.safetensors into `directory` (created if needed)."""
        self._check_fitted()
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        arrays = {k: np.ascontiguousarray(v) for k, v in self._state().items()}
        arrays["item_counts"] = np.ascontiguousarray(self.item_counts)
        save_file(arrays, str(directory / ARRAYS_FILE))
        meta = {
            "format_version": FORMAT_VERSION,
            "recommender": self.name,
            "config": asdict(self.config),
            "num_items": self.num_items,
        }
        (directory / META_FILE).write_text(json.dumps(meta, indent=2, sort_keys=True) + "\n")
        return directory

    def _check_fitted(self) -> None:
        if self.num_items is None:
            raise NotFitted(f"{type(self).__name__} is not fitted; call fit() or load() first.")


_REGISTRY: dict[str, type[Recommender]] = {}


def register(name: str) -> Callable[[type[Recommender]], type[Recommender]]:
    """Class decorator: make the recommender available to create(name) and load()."""

    def decorate(cls: type[Recommender]) -> type[Recommender]:
        if name in _REGISTRY and _REGISTRY[name] is not cls:
            raise ValueError(f"A recommender named {name!r} is already registered.")
        cls.name = name
        _REGISTRY[name] = cls
        return cls

    return decorate


def names() -> list[str]:
    """Registered recommender names, sorted."""
    return sorted(_REGISTRY)


def recommender_class(name: str) -> type[Recommender]:
    try:
        return _REGISTRY[name]
    except KeyError:
        raise ValueError(f"Unknown recommender {name!r}; known: {', '.join(names())}.") from None


def create(name: str, **config: Any) -> Recommender:
    """A new, unfitted recommender of the given name with config values by keyword."""
    return recommender_class(name)(**config)


def load(directory: str | Path) -> Recommender:
    """Load a recommender saved with save(); raises ValueError for an unknown name/version."""
    directory = Path(directory)
    meta = json.loads((directory / META_FILE).read_text())
    if meta.get("format_version") != FORMAT_VERSION:
        raise ValueError(f"Unsupported recommender format {meta.get('format_version')!r}.")
    cls = recommender_class(meta["recommender"])
    model = cls(config_from_dict(cls.Config, meta["config"]))
    arrays = load_file(str(directory / ARRAYS_FILE))
    model.num_items = int(meta["num_items"])
    model.item_counts = arrays.pop("item_counts")
    model._restore(arrays)
    return model
