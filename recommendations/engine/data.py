"""Interaction data for the recommenders: the data set type, file readers and evaluation splits.

An `InteractionData` holds one sequence per user: the user's items in time order, as dense
item indices 0..num_items-1 (the original ids are kept in `item_ids` for mapping back), with
optional per-event timestamps (unix seconds) and weights (a caller maps event kinds such as
view / cart / purchase to weights with `weights_from_kinds`). Optional side information about
items (text or attribute embeddings) travels with the data, so that every recommender is
fitted through the same `fit(data)` call.

Splits (`leave_one_out`, `time_split`) produce a training `InteractionData` and `EvalSet`s:
for each evaluated user the history the recommender sees and the one item it should rank
first. Leave-one-out follows the S3-Rec / RecBole protocol: for a user with items
s_1..s_n, train on s_1..s_{n-2}, validate by predicting s_{n-1} from s_1..s_{n-2}, test by
predicting s_n from s_1..s_{n-1}.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

DEFAULT_EVENT_WEIGHTS: Mapping[str, float] = {"view": 1.0, "cart": 3.0, "purchase": 5.0}
"""Weights of behaviour events for implicit-feedback models; a caller may pass its own."""


@dataclass(frozen=True)
class InteractionData:
    """Per-user item sequences in time order over a catalogue of `num_items` items.

    sequences[u] is an int64 array of item indices; timestamps[u] and weights[u], when given,
    are arrays of the same length. item_embeddings, when given, is (num_items, dim) float32.
    """

    sequences: tuple[np.ndarray, ...]
    num_items: int
    timestamps: tuple[np.ndarray, ...] | None = None
    weights: tuple[np.ndarray, ...] | None = None
    user_ids: tuple[str, ...] | None = None
    item_ids: tuple[str, ...] | None = None
    item_embeddings: np.ndarray | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if self.num_items < 1:
            raise ValueError("num_items must be at least 1.")
        for name in ("timestamps", "weights", "user_ids"):
            values = getattr(self, name)
            if values is not None and len(values) != len(self.sequences):
                raise ValueError(f"{name} has {len(values)} entries for {self.num_users} users.")
        for u, sequence in enumerate(self.sequences):
            if len(sequence) and (sequence.min() < 0 or sequence.max() >= self.num_items):
                raise ValueError(f"User {u} has an item index outside 0..{self.num_items - 1}.")
            for name in ("timestamps", "weights"):
                values = getattr(self, name)
                if values is not None and len(values[u]) != len(sequence):
                    raise ValueError(f"User {u}: {name} and items differ in length.")
        if self.item_ids is not None and len(self.item_ids) != self.num_items:
            raise ValueError("item_ids must name every item.")
        if self.item_embeddings is not None and self.item_embeddings.shape[0] != self.num_items:
            raise ValueError("item_embeddings must have one row per item.")

    @classmethod
    def from_sequences(
        cls,
        sequences: Sequence[Sequence[int]],
        num_items: int | None = None,
        **kwargs,
    ) -> InteractionData:
        """Build from lists of item indices; num_items defaults to the largest index + 1."""
        arrays = tuple(np.asarray(s, dtype=np.int64) for s in sequences)
        if num_items is None:
            num_items = 1 + max((int(a.max()) for a in arrays if len(a)), default=0)
        for name in ("timestamps", "weights"):
            if kwargs.get(name) is not None:
                kwargs[name] = tuple(np.asarray(v, dtype=np.float64) for v in kwargs[name])
        return cls(sequences=arrays, num_items=num_items, **kwargs)

    @property
    def num_users(self) -> int:
        return len(self.sequences)

    @property
    def num_interactions(self) -> int:
        return int(sum(len(s) for s in self.sequences))

    def item_counts(self) -> np.ndarray:
        """How many interactions each item has (float64, length num_items)."""
        if not self.sequences:
            return np.zeros(self.num_items)
        return np.bincount(np.concatenate(self.sequences), minlength=self.num_items).astype(
            np.float64
        )

    def flat(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """All events as parallel arrays (user, item, position in the user's sequence, weight)."""
        lengths = np.array([len(s) for s in self.sequences], dtype=np.int64)
        users = np.repeat(np.arange(self.num_users), lengths)
        items = np.concatenate(self.sequences) if self.sequences else np.zeros(0, np.int64)
        starts = np.repeat(np.cumsum(lengths) - lengths, lengths)
        positions = np.arange(len(items)) - starts
        if self.weights is None:
            weights = np.ones(len(items))
        else:
            weights = np.concatenate(self.weights)
        return users, items, positions, weights

    def with_sequences(self, sequences: Sequence[np.ndarray], **changes) -> InteractionData:
        """A copy with other sequences (same catalogue and item side information)."""
        return InteractionData(
            sequences=tuple(sequences),
            num_items=self.num_items,
            timestamps=changes.get("timestamps"),
            weights=changes.get("weights"),
            user_ids=changes.get("user_ids", self.user_ids),
            item_ids=self.item_ids,
            item_embeddings=self.item_embeddings,
        )


@dataclass(frozen=True)
class EvalSet:
    """Users to evaluate: the history each one has and the held-out item to rank."""

    histories: tuple[np.ndarray, ...]
    targets: np.ndarray
    users: np.ndarray

    def __len__(self) -> int:
        return len(self.targets)

    def sample(self, max_users: int, seed: int = 0) -> EvalSet:
        """At most `max_users` of the users (a seeded sample, kept in order), so a full-ranking
        evaluation of a million customers over a large catalogue takes bounded time."""
        if len(self) <= max_users:
            return self
        rng = np.random.default_rng(seed)
        chosen = np.sort(rng.choice(len(self), max_users, replace=False))
        return EvalSet(
            histories=tuple(self.histories[u] for u in chosen),
            targets=self.targets[chosen],
            users=self.users[chosen],
        )


@dataclass(frozen=True)
class LeaveOneOutSplit:
    train: InteractionData
    valid: EvalSet
    test: EvalSet


@dataclass(frozen=True)
class TimeSplit:
    train: InteractionData
    test: EvalSet


def weights_from_kinds(
    kinds: Sequence[str], mapping: Mapping[str, float] = DEFAULT_EVENT_WEIGHTS
) -> np.ndarray:
    """Weights of events named by kind; raises ValueError for a kind the mapping lacks."""
    try:
        return np.array([mapping[kind] for kind in kinds], dtype=np.float64)
    except KeyError as error:
        raise ValueError(
            f"Unknown event kind {error.args[0]!r}; known: {sorted(mapping)}."
        ) from None


def _slice(values: tuple[np.ndarray, ...] | None, u: int, stop: int) -> np.ndarray | None:
    return None if values is None else values[u][:stop]


def leave_one_out(data: InteractionData, min_length: int = 3) -> LeaveOneOutSplit:
    """S3-Rec split: last item test, second-to-last validation, the rest training.

    Users with fewer than min_length (>= 3) items are not evaluated; all their items train.
    """
    if min_length < 3:
        raise ValueError("leave_one_out needs min_length >= 3 (train, validation, test).")
    train_sequences, train_times, train_weights = [], [], []
    valid_histories, valid_targets, test_histories, test_targets, users = [], [], [], [], []
    for u, sequence in enumerate(data.sequences):
        evaluated = len(sequence) >= min_length
        stop = len(sequence) - 2 if evaluated else len(sequence)
        train_sequences.append(sequence[:stop])
        train_times.append(_slice(data.timestamps, u, stop))
        train_weights.append(_slice(data.weights, u, stop))
        if evaluated:
            valid_histories.append(sequence[:-2])
            valid_targets.append(sequence[-2])
            test_histories.append(sequence[:-1])
            test_targets.append(sequence[-1])
            users.append(u)
    train = data.with_sequences(
        train_sequences,
        timestamps=None if data.timestamps is None else tuple(train_times),
        weights=None if data.weights is None else tuple(train_weights),
    )
    user_index = np.array(users, dtype=np.int64)
    return LeaveOneOutSplit(
        train=train,
        valid=EvalSet(tuple(valid_histories), np.array(valid_targets, np.int64), user_index),
        test=EvalSet(tuple(test_histories), np.array(test_targets, np.int64), user_index),
    )


def time_split(data: InteractionData, cutoff: float) -> TimeSplit:
    """Global temporal split: events before `cutoff` train; each user's first later item tests.

    A user is evaluated when they have at least one event before and one at/after the cutoff;
    their history is everything before the cutoff. Needs timestamps.
    """
    if data.timestamps is None:
        raise ValueError("time_split needs timestamps.")
    train_sequences, train_times, train_weights = [], [], []
    histories, targets, users = [], [], []
    for u, (sequence, times) in enumerate(zip(data.sequences, data.timestamps, strict=True)):
        stop = int(np.searchsorted(times, cutoff, side="left"))
        train_sequences.append(sequence[:stop])
        train_times.append(times[:stop])
        train_weights.append(_slice(data.weights, u, stop))
        if 0 < stop < len(sequence):
            histories.append(sequence[:stop])
            targets.append(sequence[stop])
            users.append(u)
    train = data.with_sequences(
        train_sequences,
        timestamps=tuple(train_times),
        weights=None if data.weights is None else tuple(train_weights),
    )
    return TimeSplit(
        train=train,
        test=EvalSet(tuple(histories), np.array(targets, np.int64), np.array(users, np.int64)),
    )


def _index_items(raw_sequences: list[list[str]]) -> tuple[list[np.ndarray], tuple[str, ...]]:
    """Map raw item ids to indices 0..n-1, ordered numerically when all ids are integers."""
    distinct = {item for sequence in raw_sequences for item in sequence}
    if all(item.lstrip("-").isdigit() for item in distinct):
        ordered = sorted(distinct, key=int)
    else:
        ordered = sorted(distinct)
    index = {item: i for i, item in enumerate(ordered)}
    return [np.array([index[i] for i in s], dtype=np.int64) for s in raw_sequences], tuple(ordered)


def load_sequences(path: str | Path) -> InteractionData:
    """Read the S3-Rec format: one line per user, `user item1 item2 ...` in time order."""
    user_ids: list[str] = []
    raw: list[list[str]] = []
    with Path(path).open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            parts = line.split()
            if not parts:
                continue
            if len(parts) < 2:
                raise ValueError(f"{path}:{number}: expected `user item1 item2 ...`.")
            user_ids.append(parts[0])
            raw.append(parts[1:])
    sequences, item_ids = _index_items(raw)
    return InteractionData(
        sequences=tuple(sequences),
        num_items=len(item_ids),
        user_ids=tuple(user_ids),
        item_ids=item_ids,
    )


def load_movielens(path: str | Path, min_rating: float = 0.0) -> InteractionData:
    """Read MovieLens `u.data` (user, item, rating, unix time; tab separated).

    Each user's ratings become a sequence sorted by timestamp (ties by item id, so the order
    is reproducible); ratings below min_rating are dropped; the rating is the event weight.
    """
    rows = np.loadtxt(path, dtype=np.int64, ndmin=2)
    if rows.shape[1] != 4:
        raise ValueError(f"{path}: expected 4 tab-separated columns (user item rating time).")
    rows = rows[rows[:, 2] >= min_rating]
    order = np.lexsort((rows[:, 1], rows[:, 3], rows[:, 0]))
    rows = rows[order]
    users, starts = np.unique(rows[:, 0], return_index=True)
    bounds = list(starts[1:]) + [len(rows)]
    raw = [[str(i) for i in rows[a:b, 1]] for a, b in zip(starts, bounds, strict=True)]
    sequences, item_ids = _index_items(raw)
    return InteractionData(
        sequences=tuple(sequences),
        num_items=len(item_ids),
        timestamps=tuple(
            rows[a:b, 3].astype(np.float64) for a, b in zip(starts, bounds, strict=True)
        ),
        weights=tuple(rows[a:b, 2].astype(np.float64) for a, b in zip(starts, bounds, strict=True)),
        user_ids=tuple(str(u) for u in users),
        item_ids=item_ids,
    )


def load_item_attributes(path: str | Path, item_ids: Sequence[str]) -> np.ndarray:
    """L2-normalised multi-hot attribute vectors from S3-Rec's `*_item2attributes.json`.

    Row i describes item_ids[i]; an item without attributes gets a zero row. Useful as the
    "embedding" of the content recommender when no text encoder is at hand.
    """
    mapping = json.loads(Path(path).read_text(encoding="utf-8"))
    attributes = sorted({a for values in mapping.values() for a in values})
    column = {a: j for j, a in enumerate(attributes)}
    matrix = np.zeros((len(item_ids), len(attributes)), dtype=np.float32)
    for i, item in enumerate(item_ids):
        for a in mapping.get(str(item), ()):
            matrix[i, column[a]] = 1.0
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return matrix / np.maximum(norms, 1e-12)
