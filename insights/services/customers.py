"""Writes of customer segments and value: the recompute of every customer's RFM scores,
segment, churn risk and expected value, and the job that runs it.

The pure work lives in `insights.customer_engine` (RFM quintiles and the segment map;
BG/NBD and Gamma-Gamma fitted by maximum likelihood; see its docstrings for the formulas).
Here orders are read through the selectors, the engine runs, and the results replace the
stored scores in one transaction.

What counts as a purchase: an order of a customer who allows profiling
(`Customer.profiling_consent`), not cancelled or returned, dated by the local calendar day
of `placed_at`. RFM frequency counts orders; the BG/NBD counts purchase days (several
orders on one day are one transaction worth their sum), as the engine documents.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from insights.customer_engine.btyd import (
    CustomerSummary,
    customer_summaries,
    expected_purchases,
    periods_per_month,
    probability_alive,
    summary_arrays,
)
from insights.customer_engine.rfm import SEGMENT_RULES, RfmScore, rfm_from_transactions
from insights.customer_engine.value import (
    CustomerValue,
    ValueModels,
    customer_values,
    fit_value_models,
)
from insights.models import CustomerScore, CustomerSegmentSnapshot, CustomerValueRun
from insights.selectors import customers as selectors
from ml import services as ml_services
from ml.models import Job

logger = logging.getLogger(__name__)

ProgressCallback = Callable[[float, str], None]

#: Model time unit, horizon of expected purchases and CLV, and the monthly discount rate.
PERIOD = "weeks"
HORIZON_MONTHS = 12
MONTHLY_DISCOUNT_RATE = 0.01
WRITE_BATCH_SIZE = 1000
#: Below this mean dropout probability per purchase, a / (a + b), the run notes that the
#: data hold no sign of churn.
NO_DROPOUT_BELOW = 1e-3
CENT = Decimal("0.01")
SCORE_FIELDS = [
    "run",
    "recency_days",
    "frequency",
    "monetary",
    "r_score",
    "f_score",
    "m_score",
    "segment",
    "probability_alive",
    "churn_risk",
    "expected_purchases",
    "expected_spend",
    "clv",
    "computed_at",
]


def _no_progress(percent: float, message: str = "") -> None:
    return None


@dataclass(frozen=True)
class CustomerScoresResult:
    run: CustomerValueRun
    scored: int
    removed: int
    segments: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class _Values:
    models: ValueModels | None
    by_customer: dict[Hashable, CustomerValue]
    notes: list[str]


def customer_scores_recompute(
    *,
    as_of: date | None = None,
    job_id: int | None = None,
    progress: ProgressCallback | None = None,
) -> CustomerScoresResult:
    """Recompute every customer's RFM scores, segment, churn risk and expected value.

    Reads the orders up to the end of `as_of` (default: today, local time), scores the
    customers against each other (RFM quintiles), fits BG/NBD and Gamma-Gamma on them and
    scores them with it (horizon HORIZON_MONTHS). Then, in one transaction: writes a
    CustomerValueRun (fitted parameters, fit diagnostics, `job_id`), upserts one CustomerScore
    per scored customer, deletes the scores of customers no longer scored (no spent order
    left, or profiling consent withdrawn) and upserts the day's CustomerSegmentSnapshot rows
    (one per segment, zeros included). A failure leaves every stored row as it was.

    Where no customer has a repeat purchase the models cannot be fitted: the RFM part is
    stored and the value fields stay null (the run's `notes` say why). Reports progress
    before the write, never inside the transaction; `progress` raises JobCancelled when the
    job is cancelled.
    """
    progress = progress or _no_progress
    as_of = as_of or timezone.localdate()
    progress(1, f"Reading orders up to {as_of}")
    rows = selectors.customer_transactions(as_of=as_of)
    progress(10, f"Scoring RFM of {len(rows)} orders")
    rfm = rfm_from_transactions(rows, as_of=as_of)
    summaries = customer_summaries(rows, calibration_end=as_of, period=PERIOD)
    progress(20, f"Fitting BG/NBD and Gamma-Gamma on {len(summaries)} customers")
    values = _values_compute(summaries)
    progress(80, f"Saving the scores of {len(rfm)} customers")
    run, removed, segments = _scores_save(
        as_of=as_of, job_id=job_id, rfm=rfm, values=values, orders=len(rows)
    )
    progress(100, f"Scored {len(rfm)} customers; removed {removed} stale scores")
    return CustomerScoresResult(run=run, scored=len(rfm), removed=removed, segments=segments)


def _values_compute(summaries: Sequence[CustomerSummary]) -> _Values:
    """Fit the models and score every customer; value fields NaN where a model is missing."""
    try:
        models = fit_value_models(summaries)
    except ValueError as exc:
        return _Values(None, {}, [f"Value models not fitted: {exc}"])
    notes = []
    if not models.bg_nbd.info.converged:
        notes.append(f"BG/NBD did not converge: {models.bg_nbd.info.message}")
    params = models.bg_nbd.params
    dropout = params.a / (params.a + params.b)
    if dropout < NO_DROPOUT_BELOW:
        # The likelihood's maximum lies on the boundary (see btyd.fit_bg_nbd): say so, or
        # staff would read "0% churn risk" as a finding about their customers.
        notes.append(
            f"The orders show almost no sign of customers stopping (mean dropout probability "
            f"per purchase {dropout:.1e}): churn risk is near 0 for everyone; expected "
            "purchases and value still follow each customer's own purchase rate."
        )
    gamma_gamma = models.gamma_gamma
    if gamma_gamma is not None and gamma_gamma.params.q > 1:
        if not gamma_gamma.info.converged:
            notes.append(f"Gamma-Gamma did not converge: {gamma_gamma.info.message}")
        scored = customer_values(
            summaries,
            bg_nbd=models.bg_nbd.params,
            gamma_gamma=gamma_gamma.params,
            horizon_months=HORIZON_MONTHS,
            monthly_discount_rate=MONTHLY_DISCOUNT_RATE,
            period=PERIOD,
        )
        return _Values(models, {value.customer_id: value for value in scored}, notes)
    # Without a usable spend model (no repeat spend, or q <= 1: an infinite population mean)
    # P(alive) and expected purchases still stand; spend and CLV stay empty.
    notes.append(
        "Gamma-Gamma not usable (no repeat purchase with spend, or q <= 1): "
        "expected spend and lifetime value left empty."
    )
    x, t_x, age, _spend = summary_arrays(summaries)
    alive = probability_alive(models.bg_nbd.params, x, t_x, age)
    horizon = HORIZON_MONTHS * periods_per_month(PERIOD)
    purchases = expected_purchases(models.bg_nbd.params, horizon, x, t_x, age)
    by_customer = {
        summary.customer_id: CustomerValue(
            customer_id=summary.customer_id,
            probability_alive=float(alive[i]),
            churn_risk=float(1.0 - alive[i]),
            expected_purchases=float(purchases[i]),
            expected_spend=math.nan,
            clv=math.nan,
        )
        for i, summary in enumerate(summaries)
    }
    return _Values(models, by_customer, notes)


def _finite(value: float | None) -> float | None:
    return value if value is not None and math.isfinite(value) else None


def _money(value: float | None) -> Decimal | None:
    value = _finite(value)
    return None if value is None else Decimal(str(value)).quantize(CENT)


def _unit(value: float | None) -> float | None:
    """A probability clipped to [0, 1] (rounding can leave it a hair outside)."""
    value = _finite(value)
    return None if value is None else min(1.0, max(0.0, value))


@transaction.atomic
def _scores_save(
    *,
    as_of: date,
    job_id: int | None,
    rfm: Sequence[RfmScore],
    values: _Values,
    orders: int,
) -> tuple[CustomerValueRun, int, dict[str, int]]:
    now = timezone.now()
    models = values.models
    bg_nbd = models.bg_nbd if models else None
    gamma_gamma = models.gamma_gamma if models else None
    run = CustomerValueRun.objects.create(
        as_of=as_of,
        job_id=job_id,
        period=PERIOD,
        horizon_months=HORIZON_MONTHS,
        monthly_discount_rate=MONTHLY_DISCOUNT_RATE,
        customers=len(rfm),
        orders=orders,
        bg_nbd_params=bg_nbd.params.as_dict() if bg_nbd else None,
        bg_nbd_converged=bg_nbd.info.converged if bg_nbd else None,
        bg_nbd_log_likelihood=_finite(bg_nbd.info.log_likelihood) if bg_nbd else None,
        bg_nbd_customers=bg_nbd.info.n_customers if bg_nbd else None,
        gamma_gamma_params=gamma_gamma.params.as_dict() if gamma_gamma else None,
        gamma_gamma_converged=gamma_gamma.info.converged if gamma_gamma else None,
        gamma_gamma_log_likelihood=(
            _finite(gamma_gamma.info.log_likelihood) if gamma_gamma else None
        ),
        gamma_gamma_customers=gamma_gamma.info.n_customers if gamma_gamma else None,
        notes="\n".join(values.notes),
        created_at=now,
    )
    scores = []
    for score in rfm:
        value = values.by_customer.get(score.customer_id)
        scores.append(
            CustomerScore(
                customer_id=score.customer_id,
                run=run,
                recency_days=score.recency_days,
                frequency=score.frequency,
                monetary=Decimal(str(score.monetary)).quantize(CENT),
                r_score=score.r,
                f_score=score.f,
                m_score=score.m,
                segment=score.segment,
                probability_alive=_unit(value.probability_alive) if value else None,
                churn_risk=_unit(value.churn_risk) if value else None,
                expected_purchases=_finite(value.expected_purchases) if value else None,
                expected_spend=_money(value.expected_spend) if value else None,
                clv=_money(value.clv) if value else None,
                computed_at=now,
            )
        )
    CustomerScore.objects.bulk_create(
        scores,
        batch_size=WRITE_BATCH_SIZE,
        update_conflicts=True,
        unique_fields=["customer"],
        update_fields=SCORE_FIELDS,
    )
    removed, _ = CustomerScore.objects.exclude(run=run).delete()
    segments = _snapshot_save(run=run, scores=scores)
    return run, removed, segments


def _snapshot_save(*, run: CustomerValueRun, scores: Sequence[CustomerScore]) -> dict[str, int]:
    """Upsert the run's day of segment sizes (one row per segment, zero counts included)."""
    members: dict[str, list[CustomerScore]] = {rule.key: [] for rule in SEGMENT_RULES}
    for score in scores:
        members.setdefault(score.segment, []).append(score)
    snapshots = []
    for segment, rows in members.items():
        clvs = [row.clv for row in rows if row.clv is not None]
        snapshots.append(
            CustomerSegmentSnapshot(
                date=run.as_of,
                segment=segment,
                customers=len(rows),
                mean_clv=(sum(clvs) / len(clvs)).quantize(CENT) if clvs else None,
                run=run,
            )
        )
    CustomerSegmentSnapshot.objects.bulk_create(
        snapshots,
        update_conflicts=True,
        unique_fields=["date", "segment"],
        update_fields=["customers", "mean_clv", "run"],
    )
    return {segment: len(rows) for segment, rows in members.items()}


@transaction.atomic
def customer_segment_history_backfill(
    *, weeks: int, as_of: date | None = None
) -> list[CustomerSegmentSnapshot]:
    """Fill in weekly segment sizes for the `weeks` weeks before `as_of` (default today).

    For each day as_of - 7k (k = 1..weeks) that has no snapshot yet, scores RFM as of that
    day on the orders placed up to it (today's consent applies) and writes the day's rows,
    one per segment, zero counts included, with no run and no mean lifetime value (the value
    models are fitted by the recompute only). Days that already have a snapshot are left as
    they are, so running it again writes nothing. Returns the rows written.
    """
    if weeks < 0:
        raise ValueError("weeks must not be negative.")
    as_of = as_of or timezone.localdate()
    days = [as_of - timedelta(weeks=k) for k in range(1, weeks + 1)]
    taken = selectors.segment_snapshot_days(days=days)
    missing = [day for day in days if day not in taken]
    if not missing:
        return []
    rows = selectors.customer_transactions(as_of=max(missing))
    snapshots = []
    for day in sorted(missing):
        counts = {rule.key: 0 for rule in SEGMENT_RULES}
        for score in rfm_from_transactions(rows, as_of=day):
            counts[score.segment] = counts.get(score.segment, 0) + 1
        snapshots += [
            CustomerSegmentSnapshot(date=day, segment=segment, customers=count)
            for segment, count in counts.items()
        ]
    return CustomerSegmentSnapshot.objects.bulk_create(snapshots)


# --- jobs ---------------------------------------------------------------------------------


def customer_scores_submit(*, user=None) -> Job:
    """Queue a `customer_scores` job (enqueued after commit); returns it.

    A job of that kind already waiting in the queue is returned instead of a second one: it
    reads every order when it starts.
    """
    queued = selectors.customer_scores_job_queued()
    if queued is not None:
        return queued
    return ml_services.job_submit(kind=selectors.SCORE_JOB_KIND, params={}, created_by=user)
