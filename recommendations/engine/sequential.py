"""A SASRec-style sequential recommender: causal self-attention over the user's recent items.

Model (Kang & McAuley 2018, with a pre-LayerNorm block). For the last L <= max_length items
h_1..h_L of a history, the input at position t is

    z_t = sqrt(d) * E[h_t] + P[max_length - L + t]

(E: item embeddings, d wide; P: learned positions counted back from the latest item, so the
latest item always has the same position). `blocks` transformer blocks follow, each

    z = z + Dropout(CausalSelfAttention(LN(z)))      position t sees positions <= t only
    z = z + Dropout(W2 ReLU(W1 LN(z)))

then a final LayerNorm gives u_t, the user state after t items. Item scores reuse the input
embeddings (weight tying): s_ti = u_t . E[i].

Training: every position of every training sequence predicts the next item, with the full
softmax cross-entropy over the whole catalogue,

    loss = - mean_t log( exp(s_{t, h_{t+1}}) / sum_i exp(s_ti) ),

which on sparse data beats SASRec's original binary loss with one sampled negative by a wide
margin (Klenitskiy & Vasilev 2023; Petrov & Macdonald 2023). Sequences longer than
max_length + 1 are cut into windows so that their early items train too. Batches group
sequences of similar length, so little time goes to padding. Adam; after each
`eval_every` epochs, NDCG@10 on the validation set (full ranking, history excluded) decides
early stopping, and the best weights are kept.

Warm starts. Co-occurrence initialisation (init_from_cooccurrence): E starts as the
truncated SVD of the items' positive PMI co-occurrence matrix, so the tied output layer
begins near an item-to-item model and training converges in fewer epochs. Text
initialisation: when data.item_embeddings is given and init_from_text is set, E starts
as the embeddings' top-d principal components (scaled to the default initialisation's size),
so items that are alike in text start close, and an item with few interactions keeps a
sensible place. Runs on the CPU or CUDA (ml.training.devices), reproducibly for a seed.

Co-occurrence fusion (cooccurrence_fusion, on by default). After training, an item-to-item
co-occurrence model (engine.cooccurrence, settings in fusion_cooccurrence) is fitted on the
same sequences, and the served scores are the mixture of the two next-item distributions,

    p(i) = (1 - w) * softmax(s)_i + w * c_i / sum_j c_j      (c: co-occurrence votes, >= 0)

(c is sparse votes plus a popularity backfill; it is mixed in without a dense copy, `_mix`)

with w chosen from FUSION_GRID by NDCG@10 on the validation set (ties: the smaller weight),
computed in float32 by torch: over 100,000 items the float64 softmax took about ten times as
long on the CPU, and the nightly lists mix every customer's distribution.
The transformer is strong where a shopper's recent sequence says much and the item-to-item
model where one recent item's neighbours say it all; on Amazon Beauty the mixture beats both
(benchmarks/RESULTS.md). Without a validation set, or when w = 0 wins, the transformer
serves alone and no co-occurrence model is kept. Anchors ("because you viewed X") come from
the co-occurrence model when it is part of the mixture.
"""

from __future__ import annotations

import copy
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp
import torch
import torch.nn.functional as F
from scipy.sparse.linalg import svds
from torch import nn

from ml.training.devices import configure_cpu_threads, resolve_device
from ml.training.reproducibility import seeded
from recommendations.engine.base import Recommender, as_histories, config_from_dict, register
from recommendations.engine.cooccurrence import (
    CooccurrenceConfig,
    CooccurrenceRecommender,
    VoteShares,
    pair_counts,
)
from recommendations.engine.data import EvalSet, InteractionData
from recommendations.engine.metrics import evaluate, ndcg, target_ranks

ProgressCallback = Callable[[int, int, str], None]
"""progress(epoch, max_epochs, message); it may raise (e.g. JobCancelled) to stop the run."""

FUSION_GRID = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8)
FUSION_PREFIX = "fusion."
# The weight is chosen on at most this many validation users (a seeded sample beyond), in
# batches of at most FUSION_BATCH_CELLS user-item scores, so a store of a million customers
# and 100,000 products chooses it in bounded time and memory.
FUSION_MAX_USERS = 25_000
FUSION_BATCH_CELLS = 2**24


@dataclass(frozen=True)
class SequentialConfig:
    hidden: int = 64
    blocks: int = 2
    heads: int = 1
    max_length: int = 50
    dropout: float = 0.5
    lr: float = 1e-3
    weight_decay: float = 0.0
    batch_size: int = 128
    epochs: int = 200
    eval_every: int = 1
    patience: int = 5
    max_train_seconds: float | None = None
    init_from_text: bool = True
    init_from_cooccurrence: bool = False
    seed: int = 0
    device: str = "auto"
    num_threads: int | None = None
    eval_batch_size: int = 1024
    deterministic: bool = True
    cooccurrence_fusion: bool = True
    # CooccurrenceConfig settings of the fused model, as (name, value) pairs (a dict is
    # accepted and turned into pairs, so the frozen config stays hashable).
    fusion_cooccurrence: tuple = ()

    def __post_init__(self) -> None:
        pairs = self.fusion_cooccurrence
        pairs = pairs.items() if isinstance(pairs, dict) else pairs
        object.__setattr__(
            self, "fusion_cooccurrence", tuple((str(k), v) for k, v in sorted(pairs))
        )
        self.cooccurrence_config()  # unknown or invalid settings fail here, not after training
        for name in ("hidden", "blocks", "heads", "max_length", "batch_size", "epochs"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1.")
        if self.hidden % self.heads:
            raise ValueError("hidden must be divisible by heads.")
        if not 0 <= self.dropout < 1:
            raise ValueError("dropout must lie in [0, 1).")
        if self.lr <= 0 or self.eval_every < 1 or self.patience < 0:
            raise ValueError("lr must be positive, eval_every >= 1 and patience >= 0.")

    def cooccurrence_config(self) -> CooccurrenceConfig:
        return config_from_dict(CooccurrenceConfig, dict(self.fusion_cooccurrence))


class _Block(nn.Module):
    def __init__(self, hidden: int, heads: int, dropout: float) -> None:
        super().__init__()
        self.heads = heads
        self.dropout = dropout
        self.attention_norm = nn.LayerNorm(hidden, eps=1e-8)
        self.qkv = nn.Linear(hidden, 3 * hidden)
        self.out = nn.Linear(hidden, hidden)
        self.feed_forward_norm = nn.LayerNorm(hidden, eps=1e-8)
        self.feed_forward = nn.Sequential(
            nn.Linear(hidden, hidden), nn.ReLU(), nn.Dropout(dropout), nn.Linear(hidden, hidden)
        )
        self.residual_dropout = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        batch, length, hidden = x.shape
        q, k, v = self.qkv(self.attention_norm(x)).chunk(3, dim=-1)
        shape = (batch, length, self.heads, hidden // self.heads)
        q, k, v = (t.reshape(shape).transpose(1, 2) for t in (q, k, v))
        attended = F.scaled_dot_product_attention(
            q, k, v, attn_mask=mask, dropout_p=self.dropout if self.training else 0.0
        )
        attended = attended.transpose(1, 2).reshape(batch, length, hidden)
        x = x + self.residual_dropout(self.out(attended))
        return x + self.residual_dropout(self.feed_forward(self.feed_forward_norm(x)))


class SASRecModel(nn.Module):
    """Item ids are shifted by one: 0 is padding, item i is row i + 1 of the embedding."""

    def __init__(self, num_items: int, config: SequentialConfig) -> None:
        super().__init__()
        self.max_length = config.max_length
        self.scale = math.sqrt(config.hidden)
        self.item_embedding = nn.Embedding(num_items + 1, config.hidden, padding_idx=0)
        self.position_embedding = nn.Embedding(config.max_length, config.hidden)
        self.input_dropout = nn.Dropout(config.dropout)
        self.blocks = nn.ModuleList(
            _Block(config.hidden, config.heads, config.dropout) for _ in range(config.blocks)
        )
        self.final_norm = nn.LayerNorm(config.hidden, eps=1e-8)
        for name, parameter in self.named_parameters():
            if parameter.dim() > 1:
                nn.init.xavier_normal_(parameter)
            elif name.endswith("bias"):
                nn.init.zeros_(parameter)
        with torch.no_grad():
            self.item_embedding.weight[0].zero_()

    def encode(self, items: torch.Tensor) -> torch.Tensor:
        """(batch, L) left-padded shifted ids -> (batch, L, hidden) user states."""
        length = items.shape[1]
        valid = items > 0
        positions = torch.arange(self.max_length - length, self.max_length, device=items.device)
        x = self.item_embedding(items) * self.scale + self.position_embedding(positions)
        x = self.input_dropout(x) * valid.unsqueeze(-1)
        causal = torch.ones(length, length, dtype=torch.bool, device=items.device).tril()
        # A position sees earlier real items and always itself (padding rows stay finite).
        mask = (causal & valid[:, None, :]) | torch.eye(length, dtype=torch.bool, device=x.device)
        mask = mask.unsqueeze(1)
        for block in self.blocks:
            x = block(x, mask) * valid.unsqueeze(-1)
        return self.final_norm(x)

    def item_logits(self, states: torch.Tensor) -> torch.Tensor:
        """(..., hidden) -> (..., num_items) scores against every item (tied weights)."""
        return states @ self.item_embedding.weight[1:].T


def training_windows(sequences: Sequence[np.ndarray], max_length: int) -> list[np.ndarray]:
    """Chunks of at most max_length + 1 items covering every next-item pair of each sequence."""
    windows = []
    for sequence in sequences:
        end = len(sequence)
        while end >= 2:
            start = max(0, end - max_length - 1)
            windows.append(sequence[start:end])
            end = start + 1  # the next window ends on this one's first item
            if start == 0:
                break
    return windows


def left_pad(sequences: Sequence[np.ndarray], shift: int = 1) -> np.ndarray:
    """(n, longest) int64 array, sequences right-aligned, ids + shift, zeros before them."""
    width = max((len(s) for s in sequences), default=0)
    out = np.zeros((len(sequences), max(width, 1)), dtype=np.int64)
    for row, sequence in enumerate(sequences):
        if len(sequence):
            out[row, width - len(sequence) :] = np.asarray(sequence) + shift
    return out


def length_batches(lengths: np.ndarray, batch_size: int, rng: np.random.Generator) -> list:
    """Shuffled batches of indices whose lengths are similar (sorted within 50-batch pools)."""
    order = rng.permutation(len(lengths))
    pool = batch_size * 50
    batches = []
    for start in range(0, len(order), pool):
        chunk = order[start : start + pool]
        chunk = chunk[np.argsort(lengths[chunk], kind="stable")]
        batches += [chunk[i : i + batch_size] for i in range(0, len(chunk), batch_size)]
    return [batches[i] for i in rng.permutation(len(batches))]


def cooccurrence_initialisation(
    data: InteractionData, hidden: int, scale: float, seed: int, window: int = 3
) -> np.ndarray:
    """Item vectors from a truncated SVD of the positive PMI of within-`window` co-occurrence.

    PPMI_ij = max(0, log(C_ij * C_total / (C_i. * C_.j))); E = U_k sqrt(S_k) with k = hidden,
    scaled to std `scale` per column. Items that co-occur start close, which gives the
    weight-tied output layer a head start (an item2vec-style warm start).
    """
    counts = pair_counts(data, CooccurrenceConfig(window=window)).tocoo()
    rows = np.asarray(counts.sum(axis=1)).ravel()
    total = rows.sum()
    pmi = np.log(counts.data * total / (rows[counts.row] * rows[counts.col]))
    keep = pmi > 0
    ppmi = sp.csr_matrix((pmi[keep], (counts.row[keep], counts.col[keep])), shape=counts.shape)
    k = min(hidden, min(ppmi.shape) - 1)
    v0 = np.random.default_rng(seed).uniform(-1, 1, min(ppmi.shape))
    u, s, _ = svds(ppmi, k=k, v0=v0)
    projected = np.zeros((ppmi.shape[0], hidden))
    projected[:, :k] = u * np.sqrt(s)
    std = projected.std(axis=0, keepdims=True)
    return (projected / np.maximum(std, 1e-12) * scale).astype(np.float32)


def text_initialisation(embeddings: np.ndarray, hidden: int, scale: float) -> np.ndarray:
    """Top-`hidden` principal components of the text embeddings, std `scale` per column."""
    centred = embeddings - embeddings.mean(axis=0, keepdims=True)
    u, s, _ = np.linalg.svd(centred.astype(np.float64), full_matrices=False)
    projected = u[:, :hidden] * s[:hidden]
    if projected.shape[1] < hidden:  # fewer text dims than hidden: pad with zeros
        projected = np.pad(projected, ((0, 0), (0, hidden - projected.shape[1])))
    std = projected.std(axis=0, keepdims=True)
    return (projected / np.maximum(std, 1e-12) * scale).astype(np.float32)


@register("sequential")
class SequentialRecommender(Recommender):
    """SASRec with full-softmax cross-entropy, early stopping on validation NDCG@10."""

    Config = SequentialConfig
    reason = "for_you"

    def __init__(self, config=None, **overrides) -> None:
        super().__init__(config, **overrides)
        self.model: SASRecModel | None = None
        self.training_log: list[dict[str, float]] = []
        self.progress: ProgressCallback | None = None
        # The fused co-occurrence model and its weight (module docstring); None / 0: none.
        self.partner: CooccurrenceRecommender | None = None
        self.fusion_weight = 0.0
        self.fusion: dict[str, Any] | None = None

    @property
    def device(self) -> torch.device:
        return resolve_device(self.config.device)

    def _fit(self, data: InteractionData, validation: EvalSet | None) -> None:
        c = self.config
        device = self.device
        self.partner, self.fusion_weight, self.fusion = None, 0.0, None  # validate alone
        if device.type == "cpu":
            configure_cpu_threads(c.num_threads)
        rng = np.random.default_rng(c.seed)
        windows = training_windows(
            [s for s in data.sequences if len(s) >= 2], max_length=c.max_length
        )
        if not windows:
            raise ValueError("No training sequence has two or more items.")
        lengths = np.array([len(w) for w in windows])
        started = time.perf_counter()
        self.training_log = []
        with seeded(c.seed, device, deterministic=c.deterministic):
            model = SASRecModel(data.num_items, c).to(device)
            if c.init_from_text and data.item_embeddings is not None:
                std = float(model.item_embedding.weight[1:].detach().std())
                initial = text_initialisation(data.item_embeddings, c.hidden, std)
                with torch.no_grad():
                    model.item_embedding.weight[1:] = torch.from_numpy(initial).to(device)
            if c.init_from_cooccurrence and data.num_items > 2:
                std = float(model.item_embedding.weight[1:].detach().std())
                initial = cooccurrence_initialisation(data, c.hidden, std, c.seed)
                with torch.no_grad():
                    model.item_embedding.weight[1:] += torch.from_numpy(initial).to(device)
            self.model = model
            optimiser = torch.optim.Adam(
                model.parameters(), lr=c.lr, betas=(0.9, 0.98), weight_decay=c.weight_decay
            )
            best_ndcg, best_state, stale = -1.0, None, 0
            deadline = None if c.max_train_seconds is None else started + c.max_train_seconds
            for epoch in range(1, c.epochs + 1):
                model.train()
                total, positions = 0.0, 0
                for batch in length_batches(lengths, c.batch_size, rng):
                    if deadline is not None and positions and time.perf_counter() > deadline:
                        break  # out of time mid-epoch: stop here rather than at its end
                    padded = torch.from_numpy(left_pad([windows[i] for i in batch])).to(device)
                    inputs, targets = padded[:, :-1], padded[:, 1:]
                    keep = (inputs > 0) & (targets > 0)
                    states = model.encode(inputs)[keep]
                    loss = F.cross_entropy(model.item_logits(states), targets[keep] - 1)
                    optimiser.zero_grad(set_to_none=True)
                    loss.backward()
                    optimiser.step()
                    total += float(loss.detach()) * int(keep.sum())
                    positions += int(keep.sum())
                entry = {
                    "epoch": epoch,
                    "positions": positions,
                    "loss": total / max(positions, 1),
                    "seconds": time.perf_counter() - started,
                }
                out_of_time = deadline is not None and time.perf_counter() > deadline
                if (
                    validation is not None
                    and len(validation)
                    and (epoch % c.eval_every == 0 or out_of_time or epoch == c.epochs)
                ):
                    entry["valid_ndcg@10"] = self._validation_ndcg(validation)
                    if entry["valid_ndcg@10"] > best_ndcg:
                        best_ndcg, stale = entry["valid_ndcg@10"], 0
                        best_state = copy.deepcopy(model.state_dict())
                    else:
                        stale += 1
                self.training_log.append(entry)
                if self.progress is not None:
                    self.progress(epoch, c.epochs, _describe(entry))
                if out_of_time or (validation is not None and stale > c.patience):
                    break
            if best_state is not None:
                model.load_state_dict(best_state)
        model.eval()
        self.best_valid_ndcg = best_ndcg
        if c.cooccurrence_fusion and validation is not None and len(validation):
            self._fit_fusion(data, validation)

    def _fit_fusion(self, data: InteractionData, validation: EvalSet) -> None:
        """Fit the co-occurrence model and choose the mixture weight on the validation set."""
        started = time.perf_counter()
        partner = CooccurrenceRecommender(self.config.cooccurrence_config()).fit(data)
        users = np.arange(len(validation))
        if len(users) > FUSION_MAX_USERS:
            rng = np.random.default_rng(self.config.seed)
            users = np.sort(rng.choice(users, FUSION_MAX_USERS, replace=False))
        all_targets = np.asarray(validation.targets)
        ranks: dict[float, list[np.ndarray]] = {w: [] for w in FUSION_GRID}
        size = max(1, min(self.config.eval_batch_size, FUSION_BATCH_CELLS // self.num_items))
        for start in range(0, len(users), size):
            chosen = users[start : start + size]
            histories = as_histories([validation.histories[u] for u in chosen])
            targets = all_targets[chosen]
            transformer = _softmax_rows(self.transformer_scores(histories))
            votes = partner.vote_shares(histories)
            mixed = np.empty_like(transformer)  # reused: score_batch's mixing, each weight
            for weight in FUSION_GRID:
                _mix(transformer, votes, weight, out=mixed)
                ranks[weight].append(target_ranks(mixed, targets, histories))
        by_weight = {w: ndcg(np.concatenate(r), 10) for w, r in ranks.items()}
        best = max(FUSION_GRID, key=lambda w: (round(by_weight[w], 12), -w))
        self.fusion = {
            "weight": best,
            "validation_users": len(users),
            "valid_ndcg@10_by_weight": {f"{w:g}": round(v, 6) for w, v in by_weight.items()},
            "seconds": round(time.perf_counter() - started, 2),
        }
        if best > 0:
            self.partner, self.fusion_weight = partner, best

    def _validation_ndcg(self, validation: EvalSet) -> float:
        metrics = evaluate(
            self.score_batch,
            validation.histories,
            validation.targets,
            ks=(10,),
            batch_size=self.config.eval_batch_size,
        )
        return float(metrics["ndcg@10"])

    def score_batch(self, histories: Sequence[Sequence[int]]) -> np.ndarray:
        """The transformer's logits, or with fusion the mixed probabilities (module docstring);
        an empty history gets the popularity fallback."""
        self._check_fitted()
        histories = as_histories(histories)
        scores = self.transformer_scores(histories)
        present = [i for i, h in enumerate(histories) if len(h)]
        if self.partner is None or not present:
            return scores
        # Mixed in place into the softmax, the one (histories x catalogue) matrix made here
        # besides the logits: these are the largest arrays of making every customer's list.
        every = len(present) == len(histories)
        chosen = histories if every else [histories[i] for i in present]
        probabilities = _softmax_rows(scores if every else scores[present])
        votes = self.partner.vote_shares(chosen)
        mixed = _mix(probabilities, votes, self.fusion_weight, out=probabilities)
        if every:
            return mixed
        scores[present] = mixed
        return scores

    def anchors(self, history: Sequence[int], items: Sequence[int]) -> list[int | None]:
        if self.partner is None:
            return super().anchors(history, items)
        return self.partner.anchors(history, items)

    @torch.no_grad()
    def transformer_scores(self, histories: Sequence[Sequence[int]]) -> np.ndarray:
        """The transformer's logits alone, without fusion (for evaluation and tests)."""
        histories = as_histories(histories)
        model = self.model
        was_training = model.training
        model.eval()
        device = next(model.parameters()).device
        present = [i for i, h in enumerate(histories) if len(h)]
        logits = None
        if present:
            recent = [histories[i][-self.config.max_length :] for i in present]
            padded = torch.from_numpy(left_pad(recent)).to(device)
            states = model.encode(padded)[:, -1]
            logits = model.item_logits(states).float().cpu().numpy()
        model.train(was_training)
        if present and len(present) == len(histories):
            return logits  # no copy into a second (histories x catalogue) matrix
        scores = np.zeros((len(histories), self.num_items), dtype=np.float32)
        if present:
            scores[present] = logits
        empty = [i for i, h in enumerate(histories) if not len(h)]
        scores[empty] = self.item_counts.astype(np.float32)  # nothing to attend to: popularity
        return scores

    def _state(self) -> dict[str, np.ndarray]:
        state = {k: v.detach().cpu().numpy() for k, v in self.model.state_dict().items()}
        if self.partner is not None:
            state.update({FUSION_PREFIX + k: v for k, v in self.partner._state().items()})
            state[FUSION_PREFIX + "weight"] = np.array([self.fusion_weight])
        return state

    def _restore(self, arrays: dict[str, np.ndarray]) -> None:
        fused = {
            k[len(FUSION_PREFIX) :]: arrays.pop(k)
            for k in list(arrays)
            if k.startswith(FUSION_PREFIX)
        }
        model = SASRecModel(self.num_items, self.config)
        model.load_state_dict({k: torch.from_numpy(v.copy()) for k, v in arrays.items()})
        self.model = model.to(self.device).eval()
        if fused:
            self.fusion_weight = float(fused.pop("weight")[0])
            partner = CooccurrenceRecommender(self.config.cooccurrence_config())
            partner.num_items, partner.item_counts = self.num_items, self.item_counts
            partner._restore(fused)
            self.partner = partner


def _softmax_rows(logits: np.ndarray) -> np.ndarray:
    """Softmax of each row in float32, by torch, whose exp runs on every core: the fused
    scores of (200, 100,000) logits took 85-88 ms with it against 151-269 ms with scipy's
    softmax (two runs each, the two cores shared)."""
    tensor = torch.from_numpy(np.ascontiguousarray(logits, dtype=np.float32))
    return torch.softmax(tensor, dim=1).numpy()


def _mix(
    probabilities: np.ndarray, votes: VoteShares, weight: float, out: np.ndarray
) -> np.ndarray:
    """out = (1 - w) * probabilities + w * vote shares (out may be `probabilities` itself).

    The vote shares are never made dense: their backfill part is one vector per catalogue,
    added to every row scaled by the row's w / total (a rank-one update), and their sparse
    part is added at its own cells."""
    np.multiply(probabilities, 1.0 - weight, out=out)
    scale = (weight * votes.row_scale).astype(np.float32)
    torch.from_numpy(out).addr_(torch.from_numpy(scale), torch.from_numpy(votes.backfill))
    sparse = votes.votes
    rows = np.repeat(np.arange(sparse.shape[0]), np.diff(sparse.indptr))
    out[rows, sparse.indices] += sparse.data * scale[rows]
    return out


def _describe(entry: dict[str, Any]) -> str:
    text = f"epoch {entry['epoch']}: loss {entry['loss']:.4f}"
    if "valid_ndcg@10" in entry:
        text += f", valid NDCG@10 {entry['valid_ndcg@10']:.4f}"
    return text + f" ({entry['seconds']:.0f} s)"
