"""Fine-tuning job kinds. They run on the `gpu` queue and register a ModelVersion on success.

The body reads its data through `ml.datasets`, trains with the pure engine in `ml/training/`
into a temporary directory, and registers the result. Registration is the last step, so a
run that fails or is cancelled leaves a failed or cancelled job and no version.
"""

import dataclasses
import json
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path

from django.conf import settings
from rest_framework import serializers

from config.celery import app
from ml import datasets, services
from ml.exceptions import BadJobInput
from ml.job_kinds import GPU_QUEUE, JobContext, JobOutcome, job_task
from ml.models import ModelAlias
from ml.selectors import alias_get


class FinetuneClassifierParams(serializers.Serializer):
    task = serializers.RegexField(
        r"^[a-z][a-z0-9_-]{1,40}$",
        default="sentiment",
        help_text="Registry task the new version belongs to (sentiment, intent, ...).",
    )
    dataset = serializers.ChoiceField(
        choices=[],  # filled per instance: apps register datasets after this module loads
        default="store_reviews_sentiment",
        help_text="Where the rows come from. store_reviews_sentiment: the store's reviews, "
        "labelled by staff where they corrected a label, else from the rating (1-2 negative, "
        "3 neutral, 4-5 positive). csv_file: a CSV on the worker with text and label columns.",
    )
    path = serializers.CharField(required=False, default="", allow_blank=True)
    test_path = serializers.CharField(
        required=False,
        default="",
        allow_blank=True,
        help_text="Optional CSV on the worker, with the same text and label columns, held out "
        "as the test rows (for example a published test split). When given, all the "
        "training rows go to training and validation, and the version's test metrics come "
        "from this file.",
    )
    text_column = serializers.CharField(default="text")
    label_column = serializers.CharField(default="label")
    max_rows = serializers.IntegerField(min_value=20, max_value=500_000, default=5000)
    epochs = serializers.IntegerField(min_value=1, max_value=50, default=3)
    batch_size = serializers.IntegerField(min_value=1, max_value=512, default=32)
    lr = serializers.FloatField(min_value=1e-7, max_value=1e-2, default=5e-5)
    max_length = serializers.IntegerField(min_value=16, max_value=512, default=128)
    early_stopping_patience = serializers.IntegerField(min_value=0, max_value=20, default=2)
    seed = serializers.IntegerField(min_value=0, default=13)
    max_steps = serializers.IntegerField(min_value=1, required=False, allow_null=True)
    label_smoothing = serializers.FloatField(
        min_value=0.0,
        max_value=0.5,
        default=0.0,
        help_text="Share of each training target spread evenly over all classes instead of "
        "the label (0: the labels as given).",
    )
    cpu_bfloat16 = serializers.BooleanField(
        default=False,
        help_text="On a CPU with native bfloat16 (AVX-512 BF16 or AMX), train in bfloat16: "
        "a step took 1.8 s against 2.9 s on a 2-core EPYC. Ignored on a GPU and other CPUs.",
    )
    promote = serializers.BooleanField(
        default=False,
        help_text="Make the new version champion if its test macro-F1 beats the champion's.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["dataset"].choices = datasets.classification_dataset_choices()

    def validate(self, attrs):
        if attrs["dataset"] == "csv_file" and not attrs.get("path"):
            raise serializers.ValidationError({"path": "A CSV path is needed for csv_file."})
        return attrs


class FinetuneGeneratorParams(serializers.Serializer):
    task = serializers.RegexField(r"^[a-z][a-z0-9_-]{1,40}$", default="generator-lora")
    dataset = serializers.ChoiceField(
        choices=sorted(datasets.GENERATION_DATASETS), default="store_review_titles"
    )
    path = serializers.CharField(required=False, default="", allow_blank=True)
    max_rows = serializers.IntegerField(min_value=20, max_value=200_000, default=2000)
    epochs = serializers.IntegerField(min_value=1, max_value=20, default=1)
    batch_size = serializers.IntegerField(min_value=1, max_value=128, default=8)
    lr = serializers.FloatField(min_value=1e-7, max_value=1e-2, default=2e-4)
    max_length = serializers.IntegerField(min_value=16, max_value=2048, default=256)
    rank = serializers.IntegerField(min_value=1, max_value=256, default=8)
    seed = serializers.IntegerField(min_value=0, default=13)
    max_steps = serializers.IntegerField(min_value=1, required=False, allow_null=True)

    def validate(self, attrs):
        if attrs["dataset"] == "jsonl_file" and not attrs.get("path"):
            raise serializers.ValidationError({"path": "A JSONL path is needed for jsonl_file."})
        return attrs


CLASSIFIER_DATA_KEYS = {
    "task",
    "dataset",
    "path",
    "test_path",
    "text_column",
    "label_column",
    "max_rows",
    "promote",
}


def classifier_config(params: dict):
    """The ClassifierTrainConfig of validated `finetune_classifier` parameters.

    With a `test_path` the trainer holds out no test rows of its own (test_fraction 0): the
    file's rows are the test split.
    """
    from ml.training.classification import ClassifierTrainConfig

    values = _training_params(params, data_keys=CLASSIFIER_DATA_KEYS)
    if params.get("test_path"):
        values["test_fraction"] = 0.0
    return ClassifierTrainConfig.from_dict(values)


def classifier_test_rows(params: dict) -> datasets.LabelledTexts | None:
    """The rows of the parameters' `test_path` file (None without one); BadJobInput if unusable.

    Unlike training data, a test file may hold any number of rows per label (at least one row).
    """
    if not params.get("test_path"):
        return None
    texts, labels, source = datasets.read_labelled_csv_rows(
        params["test_path"], params["text_column"], params["label_column"], 500_000
    )
    if not texts:
        raise BadJobInput(f"The test {source} has no row with both a text and a label.")
    return datasets.LabelledTexts(texts, labels, source=source)


ClassifierFinisher = Callable[..., dict]
"""finisher(output_dir=, texts=, labels=, config=, test=) -> metrics to add to the version's.

It runs after training, before registration, on the same rows, test rows (or None) and
config, so it can rebuild the trainer's splits (`classifier_splits`); files it writes into
output_dir become part of the immutable version (support chooses the intent model's reject
threshold this way).
"""

_CLASSIFIER_FINISHERS: dict[str, ClassifierFinisher] = {}


def register_classifier_finisher(task: str, finisher: ClassifierFinisher) -> None:
    """Run `finisher` after every classifier fine-tune of registry task `task`."""
    _CLASSIFIER_FINISHERS[task] = finisher


def classifier_train(
    texts: Sequence[str],
    labels: Sequence[str],
    config,
    *,
    task: str,
    output_dir: Path,
    progress=None,
    test: tuple[Sequence[str], Sequence[str]] | None = None,
):
    """`train_classifier` on settings.ML_ENCODER, then the task's finisher if one is registered.

    `test` (texts, labels) are held-out test rows from a separate file, or None.

    The finisher's metrics are merged into the result's metrics and metrics.json. This is
    what the `finetune_classifier` job runs; benchmarks call it to measure the same recipe.
    """
    from ml.training.classification import train_classifier

    result = train_classifier(
        texts, labels, config, settings.ML_ENCODER, output_dir, progress=progress, test=test
    )
    finisher = _CLASSIFIER_FINISHERS.get(task)
    if finisher is None:
        return result
    metrics = {
        **result.metrics,
        **finisher(
            output_dir=result.output_dir, texts=texts, labels=labels, config=config, test=test
        ),
    }
    (result.output_dir / "metrics.json").write_text(json.dumps(metrics, indent=2) + "\n")
    return dataclasses.replace(result, metrics=metrics)


@job_task(
    kind="finetune_classifier",
    label="Fine-tune a text classifier",
    queue=GPU_QUEUE,
    params_serializer=FinetuneClassifierParams,
    soft_time_limit=6 * 3600,
    time_limit=6 * 3600 + 300,
)
def finetune_classifier(ctx: JobContext) -> JobOutcome:
    """Fine-tune the encoder for sequence classification on the chosen data."""
    params = ctx.params
    data = datasets.CLASSIFICATION_DATASETS[params["dataset"]](**params)
    test = classifier_test_rows(params)
    config = classifier_config(params)
    ctx.progress(
        1,
        f"Training on {len(data.texts)} rows from {data.source}"
        + (f", testing on {len(test.texts)} rows from {test.source}" if test else ""),
    )

    with tempfile.TemporaryDirectory(prefix="finetune-") as tmp:
        try:
            result = classifier_train(
                data.texts,
                data.labels,
                config,
                task=params["task"],
                output_dir=Path(tmp) / "model",
                progress=_step_progress(ctx, start=1, end=95),
                test=(test.texts, test.labels) if test else None,
            )
        except ValueError as exc:  # bad data or hyper-parameters: fail, never retry
            raise BadJobInput(str(exc)) from exc
        ctx.progress(96, "Registering the model version")
        version = services.modelversion_register(
            task=params["task"],
            source_dir=result.output_dir,
            base_model=str(settings.ML_ENCODER),
            training_job_id=ctx.job_id,
            data_summary={
                **data.summary,
                "source": data.source,
                "splits": result.data_summary,
                **({"test_source": test.source} if test else {}),
            },
            hyperparameters=config.__dict__ | {"dataset": params["dataset"]},
            metrics=result.metrics,
        )
    promoted = params.get("promote") and _beats_champion(version, key="macro_f1")
    if promoted:
        services.alias_promote(version_id=version.pk, user=None)
    test = result.metrics.get("test", {})
    return JobOutcome(
        metrics={
            "test_accuracy": test.get("accuracy"),
            "test_macro_f1": test.get("macro_f1"),
            "baseline_macro_f1": result.metrics["baseline"]["test"].get("macro_f1"),
            "samples_per_s": round(result.samples_per_s, 2),
            "steps": result.steps,
        },
        result={"version": version.version, "task": version.task, "promoted": bool(promoted)},
        model_version=version,
    )


@job_task(
    kind="finetune_generator_lora",
    label="Fine-tune the generator (LoRA)",
    queue=GPU_QUEUE,
    params_serializer=FinetuneGeneratorParams,
    soft_time_limit=6 * 3600,
    time_limit=6 * 3600 + 300,
)
def finetune_generator_lora(ctx: JobContext) -> JobOutcome:
    """Train a LoRA adapter of the generator on prompt/completion pairs."""
    from ml.training.lora import LoraTrainConfig, train_lora

    params = ctx.params
    data = datasets.GENERATION_DATASETS[params["dataset"]](**params)
    config = LoraTrainConfig.from_dict(
        _training_params(params, data_keys={"task", "dataset", "path", "max_rows"})
    )
    ctx.progress(1, f"Training on {len(data.prompts)} pairs from {data.source}")
    with tempfile.TemporaryDirectory(prefix="lora-") as tmp:
        try:
            result = train_lora(
                data.prompts,
                data.completions,
                config,
                settings.ML_GENERATOR,
                Path(tmp) / "adapter",
                progress=_step_progress(ctx, start=1, end=95),
                cache_dir=settings.ML_CACHE_DIR,
            )
        except ValueError as exc:
            raise BadJobInput(str(exc)) from exc
        ctx.progress(96, "Registering the adapter")
        version = services.modelversion_register(
            task=params["task"],
            source_dir=result.output_dir,
            base_model=str(settings.ML_GENERATOR),
            training_job_id=ctx.job_id,
            data_summary={**data.summary, "source": data.source},
            hyperparameters={**config.__dict__, "target_modules": list(config.target_modules)},
            metrics=result.metrics,
        )
    return JobOutcome(
        metrics={k: result.metrics.get(k) for k in _LORA_HEADLINE if k in result.metrics},
        result={"version": version.version, "task": version.task},
        model_version=version,
    )


_LORA_HEADLINE = (
    "eval_loss_before",
    "eval_loss_after",
    "perplexity_before",
    "perplexity_after",
)


def _training_params(params: dict, *, data_keys: set[str]) -> dict:
    """The job parameters that configure the trainer, on this worker's device."""
    hyper = {k: v for k, v in params.items() if k not in data_keys}
    if hyper.get("max_steps") is None:
        hyper.pop("max_steps", None)
    return {**hyper, "device": settings.ML_DEVICE}


def _step_progress(ctx: JobContext, *, start: float, end: float):
    """Map the engine's (step, total, message) reports onto the job's progress range."""

    def report(step: int, total: int, message: str) -> None:
        ctx.progress(start + (end - start) * step / max(total, 1), message)

    return report


def _beats_champion(version, *, key: str) -> bool:
    champion = alias_get(task=version.task, alias=ModelAlias.Name.CHAMPION)
    if champion is None:
        return True
    new = (version.metrics.get("test") or {}).get(key)
    old = (champion.version.metrics.get("test") or {}).get(key)
    return new is not None and (old is None or new > old)


@app.task(name="ml.jobs_requeue_stale")
def jobs_requeue_stale() -> dict:
    """Beat entry point (every minute): re-send jobs whose worker stopped beating."""
    return services.job_requeue_stale()
