from django.conf import settings
from django.db import models
from django.db.models import Q


class Job(models.Model):
    """The record of one unit of ML work run by a Celery worker.

    State moves only through `ml.services` (called by the base task class in
    `ml.jobs`), never by saving the row from elsewhere.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled"

    TERMINAL_STATUSES = (Status.SUCCEEDED, Status.FAILED, Status.CANCELLED)

    kind = models.CharField(max_length=64)
    queue = models.CharField(max_length=32, default="default")
    params = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    progress = models.PositiveSmallIntegerField(default=0)
    progress_message = models.CharField(max_length=255, blank=True)
    log = models.TextField(blank=True)
    metrics = models.JSONField(default=dict, blank=True)
    result = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)
    traceback = models.TextField(blank=True)
    cancel_requested = models.BooleanField(default=False)
    attempts = models.PositiveSmallIntegerField(default=0)
    celery_task_id = models.CharField(max_length=64, blank=True)
    model_version = models.ForeignKey(
        "ml.ModelVersion",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The model version this job produced, if any.",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # Written every ML_JOB_HEARTBEAT_S by the worker running the job; a running job whose
    # heartbeat stops lost its worker (see ml.services.job_requeue_stale).
    heartbeat_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(progress__lte=100), name="job_progress_max_100"),
        ]
        indexes = [
            models.Index(fields=["status", "-created_at"], name="job_status_created"),
            models.Index(fields=["kind", "-created_at"], name="job_kind_created"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk} ({self.status})"

    @property
    def is_finished(self) -> bool:
        return self.status in self.TERMINAL_STATUSES

    @property
    def duration_seconds(self) -> float | None:
        if not self.started_at:
            return None
        end = self.finished_at
        if end is None:
            from django.utils import timezone

            end = timezone.now()
        return (end - self.started_at).total_seconds()


class ModelVersion(models.Model):
    """An immutable fine-tuned model in the artifact store (issue: ML platform)."""

    task = models.CharField(max_length=64)
    version = models.PositiveIntegerField()
    base_model = models.CharField(max_length=255)
    artifact_path = models.CharField(max_length=500)
    sha256 = models.CharField(max_length=64)
    training_job = models.ForeignKey(
        Job, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    data_summary = models.JSONField(default=dict, blank=True)
    hyperparameters = models.JSONField(default=dict, blank=True)
    metrics = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # Set when data this version may have been trained on was erased (shop.privacy.services):
    # the version should be retrained without it and replaced.
    retrain_flagged_at = models.DateTimeField(null=True, blank=True)
    retrain_reason = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["task", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["task", "version"], name="modelversion_task_version"),
        ]
        indexes = [models.Index(fields=["task", "-created_at"], name="modelversion_task_created")]

    def __str__(self) -> str:
        return f"{self.task} v{self.version}"


class ModelAlias(models.Model):
    """A movable name (`champion`, `challenger`) pointing at one version of a task."""

    class Name(models.TextChoices):
        CHAMPION = "champion", "Champion"
        CHALLENGER = "challenger", "Challenger"

    task = models.CharField(max_length=64)
    name = models.CharField(max_length=32, choices=Name.choices)
    version = models.ForeignKey(ModelVersion, on_delete=models.PROTECT, related_name="aliases")
    previous_version = models.ForeignKey(
        ModelVersion, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "model aliases"
        constraints = [
            models.UniqueConstraint(fields=["task", "name"], name="modelalias_task_name"),
        ]

    def __str__(self) -> str:
        return f"{self.task}:{self.name} -> v{self.version.version}"


class AliasChange(models.Model):
    """Audit trail of alias moves: who promoted or rolled back what, and when."""

    class Action(models.TextChoices):
        PROMOTE = "promote", "Promote"
        ROLLBACK = "rollback", "Roll back"

    task = models.CharField(max_length=64)
    alias = models.CharField(max_length=32)
    action = models.CharField(max_length=16, choices=Action.choices)
    from_version = models.ForeignKey(
        ModelVersion, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    to_version = models.ForeignKey(ModelVersion, on_delete=models.PROTECT, related_name="+")
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    changed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-changed_at"]
        indexes = [models.Index(fields=["task", "-changed_at"], name="aliaschange_task_time")]

    def __str__(self) -> str:
        return f"{self.action} {self.task}:{self.alias}"


class TextEmbedding(models.Model):
    """A text's embedding by one encoder, kept so that unchanged texts (product descriptions)
    are not embedded again every night. Only a hash of the text is stored, never the text."""

    encoder = models.CharField(max_length=64, help_text="Identity of the encoder and settings.")
    text_hash = models.CharField(max_length=32, help_text="BLAKE2b-128 of the text, hex.")
    vector = models.BinaryField(help_text="float32 values, little-endian.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["encoder", "text_hash"], name="textembedding_key")
        ]

    def __str__(self) -> str:
        return f"{self.text_hash[:12]} by {self.encoder[:12]}"
