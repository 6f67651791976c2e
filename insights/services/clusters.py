"""Writes of behaviour clusters: one run of the clustering, its clusters (named) and every
customer's assignment, and the staff rename.

The pure work lives in `insights.cluster_engine` (features, k-means, silhouette, PCA, facts
and names; see its docstrings). Here activity and texts are read through the selectors, the
texts are embedded with the configured base encoder (`ml.serving.encoder_engine`), the engine
runs, and the results are written in one transaction.

Each run is new: its clusters get fresh names (by the generator when asked and the name
passes its check, else built from the facts). A staff rename changes that run's cluster only;
the next run does not carry it over, because its clusters are not the same groups.
"""

from __future__ import annotations

import logging
import time as clock
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np
from django.db import transaction
from django.utils import timezone

from insights.cluster_engine.describe import (
    ClusterFacts,
    cluster_facts,
    generated_name_check,
    naming_prompt,
    rule_names,
)
from insights.cluster_engine.features import FeatureConfig, feature_matrix
from insights.cluster_engine.kmeans import KMeansConfig, kmeans, kmeans_choose_k, silhouette_score
from insights.exceptions import NotEnoughData
from insights.models import BehaviourCluster, BehaviourClusterAssignment, BehaviourClusterRun
from insights.selectors import clusters as selectors
from ml import services as ml_services
from ml.models import Job

logger = logging.getLogger(__name__)

ProgressCallback = Callable[[float, str], None]
Embed = Callable[[Sequence[str]], np.ndarray]
# Takes prompts, returns one proposed name per prompt.
Namer = Callable[[Sequence[str]], list[str]]

DEFAULT_KS = (3, 4, 5, 6, 7, 8)
LOOKBACK_DAYS = 365
TOP_CATEGORIES_AS_FEATURES = 8
WRITE_BATCH_SIZE = 1000


def _no_progress(percent: float, message: str = "") -> None:
    return None


@dataclass(frozen=True)
class ClusterRunResult:
    run: BehaviourClusterRun
    clusters: list[BehaviourCluster]


def _encoder_embed(texts: Sequence[str]) -> np.ndarray:
    from ml.serving import encoder_engine

    return encoder_engine().embed(list(texts))


def generator_namer() -> Namer:
    """Names clusters with the configured generator (greedy, seeded, one short line each).
    Raises ModelLoadError when it cannot be loaded."""
    from insights.services.aspects import generator_phraser
    from ml.training.inference import GenerationParams

    engine = generator_phraser().engine
    params = GenerationParams(
        max_new_tokens=12,
        do_sample=False,
        temperature=0.0,
        seed=0,
        stop=("\n",),
        batch_size=4,
        max_input_tokens=512,
    )
    return lambda prompts: list(engine.generate(list(prompts), params))


def customer_text_vectors(texts: dict[int, list[str]], *, embed: Embed) -> dict[int, np.ndarray]:
    """Customer id -> mean embedding of their texts; each distinct text is embedded once."""
    distinct = sorted({text for bucket in texts.values() for text in bucket})
    if not distinct:
        return {}
    vectors = np.asarray(embed(distinct), dtype=float)
    row = {text: i for i, text in enumerate(distinct)}
    return {
        customer_id: vectors[[row[text] for text in bucket]].mean(0)
        for customer_id, bucket in texts.items()
        if bucket
    }


def cluster_names(
    facts: Sequence[ClusterFacts], *, namer: Namer | None, categories: Sequence[str]
) -> tuple[list[str], list[str], list[str], str]:
    """(names, name sources, rule names, note): the generator's name where it passes the
    check and is not taken by another cluster, else the name built from the facts."""
    rules = rule_names(facts)
    if namer is None:
        return rules, [BehaviourCluster.NameSource.RULE] * len(facts), rules, ""
    try:
        proposals = namer([naming_prompt(f) for f in facts])
    except Exception as exc:  # noqa: BLE001 - names built from the facts are still correct
        logger.exception("generator unavailable; cluster names are built from the facts")
        return (
            rules,
            [BehaviourCluster.NameSource.RULE] * len(facts),
            rules,
            (f"Generator unavailable ({str(exc)[:200]}); names built from the facts."),
        )
    names, sources, taken = [], [], set()
    for f, proposed, rule in zip(facts, proposals, rules, strict=True):
        checked = generated_name_check(proposed, facts=f, known_categories=categories)
        if checked and checked.lower() not in taken:
            names.append(checked)
            sources.append(BehaviourCluster.NameSource.GENERATOR)
        else:
            names.append(rule)
            sources.append(BehaviourCluster.NameSource.RULE)
        taken.add(names[-1].lower())
    kept = sum(s == BehaviourCluster.NameSource.GENERATOR for s in sources)
    return names, sources, rules, f"{kept}/{len(facts)} names by the generator."


def behaviour_clusters_compute(
    *,
    as_of: date | None = None,
    k: int | None = None,
    ks: Sequence[int] = DEFAULT_KS,
    lookback_days: int = LOOKBACK_DAYS,
    text_components: int = 3,
    text_weight: float = 1.0,
    use_generator: bool = False,
    seed: int = 0,
    job_id: int | None = None,
    progress: ProgressCallback | None = None,
    embed: Embed | None = None,
    namer: Namer | None = None,
) -> ClusterRunResult:
    """Cluster every eligible customer (see `selectors.clusters`) by behaviour and texts.

    k is `k` when given, else the k in `ks` with the highest silhouette. Names come from the
    generator when `use_generator` (or a `namer` is passed) and pass the check, else from the
    facts. Then, in one transaction: writes a BehaviourClusterRun, its BehaviourCluster rows,
    and replaces every BehaviourClusterAssignment (customers no longer eligible lose theirs).
    Raises NotEnoughData when fewer customers than clusters (or than 3) are eligible; nothing
    is written then. Progress is reported outside the transaction.
    """
    progress = progress or _no_progress
    started = clock.monotonic()
    as_of = as_of or timezone.localdate()
    progress(1, f"Reading activity up to {as_of}")
    activities = selectors.customer_activity_rows(as_of=as_of, lookback_days=lookback_days)
    smallest = k if k is not None else min(ks, default=2)
    if len(activities) < max(3, smallest + 1):
        raise NotEnoughData(
            f"{len(activities)} customers can be clustered (profiling allowed, an order or "
            f"{selectors.MIN_EVENTS}+ events in {lookback_days} days); at least "
            f"{max(3, smallest + 1)} are needed."
        )
    ids = [a.customer_id for a in activities]
    progress(10, f"Embedding the searches and reviews of {len(ids)} customers")
    texts = selectors.customer_texts(customer_ids=ids, as_of=as_of, lookback_days=lookback_days)
    vectors = customer_text_vectors(texts, embed=embed or _encoder_embed) if text_weight else {}
    activity_by_category: dict[str, float] = {}
    for activity in activities:
        for name, count in activity.category_items.items():
            activity_by_category[name] = activity_by_category.get(name, 0.0) + count
    categories = [
        name for name, _count in sorted(activity_by_category.items(), key=lambda i: (-i[1], i[0]))
    ][:TOP_CATEGORIES_AS_FEATURES]
    matrix = feature_matrix(
        activities,
        categories=categories,
        text_vectors=vectors,
        config=FeatureConfig(text_components=text_components, text_weight=text_weight),
    )
    progress(30, f"Clustering {len(ids)} customers on {len(matrix.names)} features")
    config = KMeansConfig(k=k or 2, seed=seed)
    if k is not None:
        result = kmeans(matrix.x, config)
        silhouettes = {k: silhouette_score(matrix.x, result.labels, seed=seed)} if k > 1 else {}
    else:
        choice = kmeans_choose_k(matrix.x, ks=ks, config=config)
        result, silhouettes = choice.result, choice.silhouettes
    facts = cluster_facts(activities, result.labels, k=result.k)
    progress(60, f"Naming {result.k} clusters")
    if use_generator and namer is None:
        try:
            namer = generator_namer()
        except Exception as exc:  # noqa: BLE001 - fall back to names built from the facts
            logger.exception("generator unavailable; cluster names are built from the facts")
            namer = _failing_namer(exc)
    names, sources, rules, note = cluster_names(
        facts, namer=namer, categories=selectors.category_names()
    )
    distances = result.distances(matrix.x)
    notes = [note] if note else []
    if vectors:
        notes.append(
            f"{len(vectors)} of {len(ids)} customers have search or review text; text variance "
            f"kept by the components: {matrix.text_explained_variance}."
        )
    progress(80, f"Saving {result.k} clusters")
    run, clusters = _clusters_save(
        as_of=as_of,
        job_id=job_id,
        silhouettes=silhouettes,
        chosen_k=result.k,
        feature_names=matrix.names,
        params={
            "k": k,
            "ks": list(ks),
            "lookback_days": lookback_days,
            "text_components": text_components,
            "text_weight": text_weight,
            "use_generator": bool(use_generator or namer),
            "seed": seed,
        },
        customer_ids=ids,
        labels=result.labels,
        distances=distances,
        facts=facts,
        names=names,
        sources=sources,
        rules=rules,
        centroids=result.centroids,
        notes="\n".join(notes),
        seconds=clock.monotonic() - started,
    )
    progress(100, f"{len(ids)} customers in {result.k} clusters")
    return ClusterRunResult(run=run, clusters=clusters)


def _failing_namer(exc: Exception) -> Namer:
    def namer(prompts: Sequence[str]) -> list[str]:
        raise exc

    return namer


@transaction.atomic
def _clusters_save(
    *,
    as_of: date,
    job_id: int | None,
    silhouettes: dict[int, float],
    chosen_k: int,
    feature_names: list[str],
    params: dict,
    customer_ids: list[int],
    labels: np.ndarray,
    distances: np.ndarray,
    facts: Sequence[ClusterFacts],
    names: list[str],
    sources: list[str],
    rules: list[str],
    centroids: np.ndarray,
    notes: str,
    seconds: float,
) -> tuple[BehaviourClusterRun, list[BehaviourCluster]]:
    run = BehaviourClusterRun.objects.create(
        as_of=as_of,
        job_id=job_id,
        k=chosen_k,
        silhouette=silhouettes.get(chosen_k),
        silhouettes={str(k): round(v, 4) for k, v in silhouettes.items()},
        features=feature_names,
        params=params,
        customers=len(customer_ids),
        notes=notes,
        seconds=round(seconds, 3),
        created_at=timezone.now(),
    )
    clusters = BehaviourCluster.objects.bulk_create(
        [
            BehaviourCluster(
                run=run,
                number=f.number,
                name=name[:80],
                name_source=source,
                rule_name=rule[:80],
                size=f.size,
                facts=f.as_dict(),
                centroid={
                    feature: round(float(value), 4)
                    for feature, value in zip(feature_names, centroids[f.number], strict=True)
                },
            )
            for f, name, source, rule in zip(facts, names, sources, rules, strict=True)
        ]
    )
    by_number = {cluster.number: cluster for cluster in clusters}
    BehaviourClusterAssignment.objects.all().delete()
    BehaviourClusterAssignment.objects.bulk_create(
        [
            BehaviourClusterAssignment(
                customer_id=customer_id,
                run=run,
                cluster=by_number[int(label)],
                distance=round(float(distance), 4),
            )
            for customer_id, label, distance in zip(customer_ids, labels, distances, strict=True)
        ],
        batch_size=WRITE_BATCH_SIZE,
    )
    return run, clusters


@transaction.atomic
def behaviour_cluster_rename(*, cluster_id: int, name: str, user=None) -> BehaviourCluster:
    """Give a cluster a staff name (name_source "staff"); raises ValueError on an empty or
    too long name and BehaviourCluster.DoesNotExist for an unknown cluster."""
    name = " ".join((name or "").split())
    if not name:
        raise ValueError("A cluster's name must not be empty.")
    if len(name) > 80:
        raise ValueError("A cluster's name must be at most 80 characters.")
    cluster = BehaviourCluster.objects.select_for_update().get(pk=cluster_id)
    cluster.name = name
    cluster.name_source = BehaviourCluster.NameSource.STAFF
    cluster.renamed_by = user if getattr(user, "pk", None) else None
    cluster.save(update_fields=["name", "name_source", "renamed_by"])
    return cluster


def behaviour_clusters_submit(*, user=None, params: dict | None = None) -> Job:
    """Queue a `behaviour_clusters` job (enqueued after commit), or return the one already
    waiting in the queue (it reads everything when it starts)."""
    queued = selectors.cluster_job_queued()
    if queued is not None:
        return queued
    return ml_services.job_submit(
        kind=selectors.CLUSTER_JOB_KIND, params=params or {}, created_by=user
    )
