"""Support's part in the platform's jobs: the `support_intents` training data, the reject
threshold chosen after each fine-tune of the task "intent", and the `support_kb_index` job
(re-indexing the knowledge base: encoder work, so on the gpu queue).

The intent model is trained by the platform's `finetune_classifier` job (task "intent").
"""

from config.celery import app
from ml import datasets
from ml.job_kinds import GPU_QUEUE, JobContext, JobOutcome, job_task
from ml.tasks import register_classifier_finisher
from support import selectors
from support.intent_engine import fit_reject_threshold


def support_intents(*, max_rows: int, **_: object) -> datasets.LabelledTexts:
    """The store's intent examples: message corrections, staff examples, the seed set."""
    examples = selectors.intent_training_examples(limit=max_rows)
    return datasets.checked_labelled_texts(
        examples.texts,
        examples.labels,
        source="support intent examples (staff corrections win)",
        summary={"corrected_messages": examples.corrected, "by_source": examples.by_source},
    )


datasets.register_classification_dataset(
    selectors.TRAINING_DATASET,
    support_intents,
    description="Support intents: seed set, staff examples and corrected shopper messages",
)
register_classifier_finisher(selectors.INTENT_TASK, fit_reject_threshold)


@job_task(
    kind=selectors.KB_INDEX_JOB_KIND,
    label="Re-index the support knowledge base",
    queue=GPU_QUEUE,
    soft_time_limit=1800,
    time_limit=1900,
)
def support_kb_index(ctx: JobContext) -> JobOutcome:
    """Split published articles and active products into passages, embed them with the
    encoder and replace the assistant's retrieval index."""
    from support import services

    result = services.knowledge_index_rebuild(progress=ctx.progress)
    return JobOutcome(
        metrics={
            "article_passages": result["article_passages"],
            "product_passages": result["product_passages"],
        },
        result=result,
    )


@app.task(name="support.kb_index_nightly")
def support_kb_index_nightly() -> int:
    """Beat entry point: submit the re-index job (product prices and stock change daily)."""
    from support import services

    return services.knowledge_index_submit().pk
