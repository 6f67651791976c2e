"""The blender: merges several recommenders' candidates and applies the store's business rules.

Fusion. Each source s (a fitted recommender with a weight w_s) proposes its top `candidates`
items for the history. Scores of different recommenders are not comparable (counts, cosines,
logits), so they are fused by weighted reciprocal rank (Cormack et al. 2009):

    f_i = sum_s w_s / (fusion_k + rank_s(i) + 1)          rank_s(i) = 0 for s's best item

An item's reason code and anchor come from the source that contributed most to f_i, so the
API can say "because you viewed X" or "often bought with X".

Rules (plain data, `BusinessRules`), applied in this order:
1. only items that are in stock and active (None means "no restriction");
2. no item bought just now (`just_bought`), nor one in the history or `exclude`;
3. boost: f_i *= 1 + boost[i]; a boosted item no source proposed joins with the lowest
   candidate score as its base and the reason code `promoted`;
4. category diversity: walking down the fused list, an item is skipped once its category
   already has `max_per_category` items in the list (items without a category are free).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from recommendations.engine.base import Recommendation, Recommender

PROMOTED = "promoted"


@dataclass(frozen=True)
class BusinessRules:
    """Which items may be shown; all fields are plain data (ids are item indices)."""

    in_stock: frozenset[int] | None = None
    active: frozenset[int] | None = None
    just_bought: frozenset[int] = frozenset()
    item_category: Mapping[int, str] = field(default_factory=dict)
    max_per_category: int | None = None
    boost: Mapping[int, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.max_per_category is not None and self.max_per_category < 1:
            raise ValueError("max_per_category must be at least 1 when given.")
        if any(b <= -1 for b in self.boost.values()):
            raise ValueError("A boost must be greater than -1 (it multiplies by 1 + boost).")

    def allows(self, item: int) -> bool:
        return (
            (self.in_stock is None or item in self.in_stock)
            and (self.active is None or item in self.active)
            and item not in self.just_bought
        )


@dataclass(frozen=True)
class BlendSource:
    """A fitted recommender, its weight in the fusion and (optionally) its reason code."""

    recommender: Recommender
    weight: float = 1.0
    reason: str | None = None
    candidates: int = 100

    def __post_init__(self) -> None:
        if self.weight < 0 or self.candidates < 1:
            raise ValueError("weight must be >= 0 and candidates >= 1.")


class Blender:
    """Weighted reciprocal-rank fusion of several recommenders under business rules."""

    def __init__(
        self,
        sources: Sequence[BlendSource],
        rules: BusinessRules | None = None,
        fusion_k: float = 60.0,
    ) -> None:
        if not sources:
            raise ValueError("A blender needs at least one source.")
        self.sources = list(sources)
        self.rules = rules or BusinessRules()
        self.fusion_k = fusion_k

    def recommend(
        self,
        history: Sequence[int],
        k: int = 10,
        exclude: Iterable[int] = (),
        rules: BusinessRules | None = None,
    ) -> list[Recommendation]:
        """Up to k items, best first, each with the reason and anchor of its main source."""
        return self.recommend_batch([history], k, exclude, rules)[0]

    def recommend_batch(
        self,
        histories: Sequence[Sequence[int]],
        k: int = 10,
        exclude: Iterable[int] = (),
        rules: BusinessRules | None = None,
    ) -> list[list[Recommendation]]:
        """recommend() for each history; each source scores all of them in one batch."""
        if k < 1:
            raise ValueError("k must be at least 1.")
        rules = rules or self.rules
        banned = set(exclude) | set(rules.just_bought)
        # Each source's candidates as plain item lists: fusion needs only their ranks.
        proposals = [
            source.recommender.ranked_batch(histories, k=source.candidates, exclude=banned)
            for source in self.sources
        ]
        lists = []
        for row, history in enumerate(histories):
            candidates = [found[row][0] for found in proposals]
            lists.append(self._anchored(history, self._fuse(history, candidates, k, rules, banned)))
        return lists

    def _anchored(
        self, history: Sequence[int], fused: list[tuple[Recommendation, int | None]]
    ) -> list[Recommendation]:
        """Each item's anchor from the source that contributed most to it, asked only for the
        items that made the list (anchors cost a look-up per history item and candidate)."""
        anchors: dict[int, int | None] = {}
        for s, source in enumerate(self.sources):
            items = [found.item for found, best in fused if best == s]
            if items:
                anchors.update(zip(items, source.recommender.anchors(history, items), strict=True))
        return [found._replace(anchor=anchors.get(found.item)) for found, _ in fused]

    def _fuse(
        self,
        history: Sequence[int],
        proposals: list[list[int]],
        k: int,
        rules: BusinessRules,
        banned: set[int],
    ) -> list[tuple[Recommendation, int | None]]:
        """Reciprocal-rank fusion of each source's proposals for one history: the list (without
        anchors), each item with the index of its main source (None: promoted)."""
        fused: dict[int, float] = {}
        best: dict[int, tuple[float, str, int | None]] = {}
        for s, (source, proposed) in enumerate(zip(self.sources, proposals, strict=True)):
            reason = source.reason or source.recommender.reason
            for rank, item in enumerate(proposed):
                if not rules.allows(item):
                    continue
                share = source.weight / (self.fusion_k + rank + 1)
                fused[item] = fused.get(item, 0.0) + share
                if share > best.get(item, (-1.0, "", None))[0]:
                    best[item] = (share, reason, s)
        floor = min(fused.values(), default=1.0 / (self.fusion_k + 1))
        seen = set(history)
        for item, boost in rules.boost.items():
            if item in fused:
                fused[item] *= 1.0 + boost
            elif rules.allows(item) and item not in banned and item not in seen:
                fused[item] = floor * (1.0 + boost)
                best[item] = (0.0, PROMOTED, None)
        ranked = sorted(fused.items(), key=lambda pair: (-pair[1], pair[0]))
        per_category: dict[str, int] = {}
        result: list[tuple[Recommendation, int | None]] = []
        for item, score in ranked:
            category = rules.item_category.get(item)
            if category is not None and rules.max_per_category is not None:
                if per_category.get(category, 0) >= rules.max_per_category:
                    continue
                per_category[category] = per_category.get(category, 0) + 1
            _, reason, source = best[item]
            result.append((Recommendation(item, score, reason), source))
            if len(result) == k:
                break
        return result
