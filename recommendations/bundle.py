"""A recommendation bundle: the recommenders one training run fits together, and their catalogue.

One bundle is one `ModelVersion` of the task "recommendations". It holds

    catalogue.json         item index -> product id, title, category (id and name)
    <name>/                one saved engine recommender per list (recommendations.engine)
    evaluation.json        offline metrics of each personal recommender, same split

The recommenders and the lists they serve:

    sequential       "for you": the SASRec-style model over the shopper's recent items,
                     mixed with item-to-item co-occurrence when validation says it helps
    also_viewed      item-to-item co-occurrence over shoppers' event sequences
    bought_together  item-to-item co-occurrence over order baskets
    content          encoder embeddings of product text; serves items nobody has touched
    trending         recent events with a time decay
    popularity       all-time counts (the baseline every model must beat)

Training uses the S3-Rec leave-one-out split of the customers' sequences: each recommender is
fitted on all but each customer's last two items, the sequential model stops early on the
second-to-last item, and every model is ranked on the last item against the whole catalogue.
Beyond `BundleConfig.eval_users` customers, validation and test each use a seeded sample of
that many (a full ranking of a million customers over 100,000 products would take hours).
The served models are those fitted on the training part (they miss each customer's last two
items, which serving sees anyway as the shopper's history), so the metrics describe exactly
the models that serve.

No Django here: the Django side (recommendations/services.py) reads the store and passes
plain arrays in.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from recommendations import engine
from recommendations.engine.blender import Blender, BlendSource, BusinessRules
from recommendations.engine.data import InteractionData, leave_one_out
from recommendations.engine.metrics import evaluate, price_tiers

CATALOGUE_FILE = "catalogue.json"
EVALUATION_FILE = "evaluation.json"

# Weights of behaviour events for the implicit-feedback models (a purchase says more than a
# view); the sequence models use the order of events, not their weights.
EVENT_WEIGHTS = {"view": 1.0, "click": 1.0, "add_to_cart": 3.0, "purchase": 5.0}

PERSONAL_RECOMMENDERS = ("sequential", "also_viewed", "content", "trending", "popularity")

Progress = Callable[[float, str], None]


@dataclass(frozen=True)
class CatalogueItem:
    product_id: int
    title: str
    category_id: int | None
    category: str
    price: float | None = None  # None in bundles trained before prices were recorded


@dataclass(frozen=True)
class Catalogue:
    """The items of a bundle, in item-index order."""

    items: tuple[CatalogueItem, ...]

    def __post_init__(self) -> None:
        object.__setattr__(
            self, "_index", {item.product_id: i for i, item in enumerate(self.items)}
        )

    def __len__(self) -> int:
        return len(self.items)

    def index_of(self, product_id: int) -> int | None:
        return self._index.get(int(product_id))  # type: ignore[attr-defined]

    def indices_of(self, product_ids: Sequence[int]) -> list[int]:
        """Indices of the known products among product_ids, in order (unknown ones dropped)."""
        found = (self.index_of(p) for p in product_ids)
        return [i for i in found if i is not None]

    def product_id(self, index: int) -> int:
        return self.items[index].product_id

    def to_json(self) -> str:
        return json.dumps([asdict(item) for item in self.items])

    @classmethod
    def from_json(cls, text: str) -> Catalogue:
        return cls(tuple(CatalogueItem(**row) for row in json.loads(text)))


@dataclass(frozen=True)
class BundleData:
    """What the store knows, as plain arrays over the catalogue's item indices.

    customer_sequences: one InteractionData row per customer (events and purchases in time
    order, with timestamps and weights); sessions: item sequences of anonymous sessions, used
    by also_viewed only; baskets: the items of each order; item_embeddings: (n_items, dim)
    encoder embeddings of the product texts.
    """

    catalogue: Catalogue
    customer_sequences: InteractionData
    baskets: tuple[np.ndarray, ...]
    sessions: tuple[np.ndarray, ...] = ()
    item_embeddings: np.ndarray | None = field(default=None, repr=False)


@dataclass(frozen=True)
class BundleConfig:
    """Settings of each recommender; `sequential` is passed to the engine's SequentialConfig."""

    sequential: dict[str, Any] = field(default_factory=dict)
    also_viewed: dict[str, Any] = field(default_factory=lambda: {"window": 3})
    bought_together: dict[str, Any] = field(
        default_factory=lambda: {"window": 50, "reason": "bought_with"}
    )
    trending: dict[str, Any] = field(default_factory=lambda: {"half_life": 7 * 24 * 3600.0})
    ks: tuple[int, ...] = (10, 20)
    # Validation (early stopping, the fusion weight) and the test metrics rank the whole
    # catalogue for each user; beyond this many users a seeded sample of them is used.
    eval_users: int = 25_000


@dataclass
class Bundle:
    """Fitted recommenders over one catalogue."""

    catalogue: Catalogue
    recommenders: dict[str, engine.Recommender]
    evaluation: dict[str, Any] = field(default_factory=dict)

    def save(self, directory: str | Path) -> Path:
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        (directory / CATALOGUE_FILE).write_text(self.catalogue.to_json())
        (directory / EVALUATION_FILE).write_text(json.dumps(self.evaluation, indent=2) + "\n")
        for name, recommender in self.recommenders.items():
            recommender.save(directory / name)
        return directory

    @classmethod
    def load(cls, directory: str | Path) -> Bundle:
        directory = Path(directory)
        catalogue = Catalogue.from_json((directory / CATALOGUE_FILE).read_text())
        recommenders = {
            path.name: engine.load(path)
            for path in sorted(directory.iterdir())
            if path.is_dir() and (path / "recommender.json").exists()
        }
        evaluation = json.loads((directory / EVALUATION_FILE).read_text())
        return cls(catalogue, recommenders, evaluation)

    def has(self, name: str) -> bool:
        return name in self.recommenders

    def personal_blender(self, rules: BusinessRules) -> Blender:
        """ "For you": the sequential model first, co-occurrence and trending behind it."""
        weights = {"sequential": 1.0, "also_viewed": 0.6, "trending": 0.3}
        sources = [
            BlendSource(self.recommenders[name], weight=weight, candidates=50)
            for name, weight in weights.items()
            if name in self.recommenders
        ]
        return Blender(sources, rules)

    def similar_blender(self, rules: BusinessRules) -> Blender:
        """ "Similar items": what the same shoppers viewed, then what reads alike."""
        weights = {"also_viewed": 1.0, "content": 0.8}
        sources = [
            BlendSource(self.recommenders[name], weight=weight, candidates=50)
            for name, weight in weights.items()
            if name in self.recommenders
        ]
        return Blender(sources, rules)


def _no_progress(percent: float, message: str) -> None:
    return None


def train_bundle(
    data: BundleData, config: BundleConfig | None = None, progress: Progress = _no_progress
) -> Bundle:
    """Fit every recommender of the bundle and evaluate the personal ones (module docstring)."""
    config = config or BundleConfig()
    num_items = len(data.catalogue)
    if num_items < 2:
        raise ValueError("A recommendation bundle needs at least two products.")
    customers = data.customer_sequences
    if customers.num_items != num_items:
        raise ValueError("customer_sequences must use the catalogue's item indices.")
    if customers.num_interactions == 0:
        raise ValueError("There are no interactions to learn from yet.")
    if data.item_embeddings is not None:
        customers = InteractionData(
            sequences=customers.sequences,
            num_items=num_items,
            timestamps=customers.timestamps,
            weights=customers.weights,
            user_ids=customers.user_ids,
            item_ids=customers.item_ids,
            item_embeddings=np.asarray(data.item_embeddings, dtype=np.float32),
        )
    split = leave_one_out(customers)
    train = split.train
    valid, test = split.valid.sample(config.eval_users), split.test.sample(config.eval_users)
    # Anonymous sessions add co-viewing evidence; they carry no customer to evaluate.
    viewing = train.with_sequences(
        list(train.sequences) + [np.asarray(s, np.int64) for s in data.sessions],
        timestamps=None,
        weights=None,
        user_ids=None,
    )
    baskets = InteractionData.from_sequences(list(data.baskets) or [[]], num_items=num_items)

    plan: list[tuple[str, str, dict[str, Any], InteractionData]] = [
        ("popularity", "popularity", {}, train),
        ("trending", "trending", config.trending, train),
        ("also_viewed", "cooccurrence", {"reason": "viewed", **config.also_viewed}, viewing),
        ("bought_together", "cooccurrence", config.bought_together, baskets),
    ]
    if customers.item_embeddings is not None:
        plan.append(("content", "content", {}, train))
    plan.append(("sequential", "sequential", config.sequential, train))

    recommenders: dict[str, engine.Recommender] = {}
    timings: dict[str, float] = {}
    for step, (name, kind, settings, fit_data) in enumerate(plan):
        progress(5 + 80 * step / len(plan), f"Fitting {name}")
        started = time.perf_counter()
        validation = valid if name == "sequential" and len(valid) else None
        recommenders[name] = engine.create(kind, **settings).fit(fit_data, validation=validation)
        timings[name] = round(time.perf_counter() - started, 2)

    progress(88, "Evaluating on each customer's last item")
    evaluation = evaluate_personal(recommenders, test, train, data.catalogue, config.ks)
    evaluation["customers"] = len(split.test)
    for name, seconds in timings.items():
        evaluation["models"].setdefault(name, {})["train_s"] = seconds
    fusion = recommenders["sequential"].fusion
    if fusion:  # the weight of the co-occurrence model mixed in (engine.sequential)
        evaluation["models"]["sequential"]["fusion_weight"] = fusion["weight"]
    return Bundle(data.catalogue, recommenders, evaluation)


def evaluate_personal(
    recommenders: dict[str, engine.Recommender],
    test: Any,
    train: InteractionData,
    catalogue: Catalogue,
    ks: Sequence[int] = (10, 20),
) -> dict[str, Any]:
    """Full-ranking leave-one-out metrics of each personal recommender on the same users."""
    result: dict[str, Any] = {
        "protocol": "leave-one-out (last item test), full ranking, history excluded",
        "users": len(test),
        "items": len(catalogue),
        "models": {},
    }
    if not len(test):
        return result
    item_counts = train.item_counts()
    groups = [item.category or "(none)" for item in catalogue.items]
    tiers = price_tiers([item.price for item in catalogue.items])
    for name in PERSONAL_RECOMMENDERS:
        if name not in recommenders:
            continue
        metrics = evaluate(
            recommenders[name].score_batch,
            test.histories,
            test.targets,
            ks=ks,
            item_counts=item_counts,
            item_groups=groups,
            item_tiers=tiers,
        )
        result["models"][name] = _rounded(metrics)
    return result


def _rounded(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    if isinstance(value, float | np.floating):
        return round(float(value), 5)
    return value
