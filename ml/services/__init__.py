"""Writes of the ML platform: job lifecycle (`jobs`) and the model registry (`registry`)."""

from ml.services.jobs import (
    job_cancel,
    job_fail,
    job_heartbeat,
    job_mark_cancelled,
    job_mark_retrying,
    job_report_progress,
    job_requeue_stale,
    job_run_in_process,
    job_start,
    job_submit,
    job_succeed,
)
from ml.services.registry import (
    alias_promote,
    alias_rollback,
    modelversion_register,
)

__all__ = [
    "alias_promote",
    "alias_rollback",
    "job_cancel",
    "job_fail",
    "job_heartbeat",
    "job_mark_cancelled",
    "job_mark_retrying",
    "job_report_progress",
    "job_requeue_stale",
    "job_run_in_process",
    "job_start",
    "job_submit",
    "job_succeed",
    "modelversion_register",
]
