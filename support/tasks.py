"""Support's part in the platform's jobs: the `support_intents` training data and the reject
threshold chosen after each fine-tune of the task "intent".

The intent model is trained by the platform's `finetune_classifier` job (task "intent").
"""

from ml import datasets
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
