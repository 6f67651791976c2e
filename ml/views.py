"""Admin-side pages of jobs: detail, live progress (htmx partials), cancel and start.

They are wired into the admin by `ml.admin.JobAdmin.get_urls`, so `admin_view` has already
checked that the user is active staff; each view checks its own `ml.job` permission. They
parse input, call `ml.selectors` / `ml.services` and render.
"""

import json
from typing import Any

from django.contrib import messages
from django.contrib.admin import ModelAdmin
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_POST
from rest_framework.exceptions import ValidationError as ParamsValidationError
from rest_framework.fields import empty

from ml import selectors, services
from ml.exceptions import JobNotCancellable, JobNotFound, UnknownJobKind
from ml.forms import JobStartForm
from ml.job_kinds import JobKindSpec, job_kind_get, job_kind_list
from ml.models import Job


def job_progress(request: HttpRequest, *, model_admin: ModelAdmin, object_id: int) -> HttpResponse:
    """The progress bar of one job; it keeps polling itself only while the job is unfinished.

    The status badge of the changelist row comes along out of band.
    """
    if not model_admin.has_view_permission(request):
        raise PermissionDenied
    job = _get_job(object_id)
    response = TemplateResponse(
        request, "ml/job_progress.html", {"job": job, "poll": not job.is_finished, "oob": True}
    )
    response["Cache-Control"] = "no-store"
    return response


def job_detail(request: HttpRequest, *, model_admin: ModelAdmin, object_id: str) -> HttpResponse:
    """Everything about one job; while it runs, the body refreshes itself every 2 seconds."""
    if not model_admin.has_view_permission(request):
        raise PermissionDenied
    job = _get_job(object_id)
    context = {
        "job": job,
        "kind_label": _kind_label(job.kind),
        "params_json": _pretty_json(job.params),
        "result_json": _pretty_json(job.result) if job.result else "",
        "metrics": sorted(job.metrics.items()) if isinstance(job.metrics, dict) else [],
        "can_cancel": not job.is_finished and model_admin.has_change_permission(request, job),
        "can_start": model_admin.has_add_permission(request),
        "detail_url": reverse("admin:ml_job_change", args=[job.pk]),
    }
    if request.htmx:
        response = TemplateResponse(request, "ml/job_detail_body.html", context)
        response["Cache-Control"] = "no-store"
    else:
        context.update(
            model_admin.admin_site.each_context(request),
            opts=Job._meta,
            title=f"Job #{job.pk}: {context['kind_label']}",
            subtitle=None,
        )
        response = TemplateResponse(request, "admin/ml/job/detail.html", context)
    patch_vary_headers(response, ["HX-Request"])
    return response


@require_POST
def job_cancel(request: HttpRequest, *, model_admin: ModelAdmin, object_id: int) -> HttpResponse:
    if not model_admin.has_change_permission(request):
        raise PermissionDenied
    try:
        job = services.job_cancel(job_id=int(object_id))
    except JobNotFound as exc:
        raise Http404(exc.message) from exc
    except JobNotCancellable as exc:
        messages.error(request, exc.message)
    else:
        if job.status == Job.Status.CANCELLED:
            messages.success(request, f"Job #{job.pk} was cancelled.")
        else:
            messages.info(
                request, f"Job #{job.pk} was asked to stop; it stops at its next progress report."
            )
    return HttpResponseRedirect(reverse("admin:ml_job_change", args=[object_id]))


def job_start(request: HttpRequest, *, model_admin: ModelAdmin) -> HttpResponse:
    """Choose a job kind, give its parameters as JSON, and queue it."""
    if not model_admin.has_add_permission(request):
        raise PermissionDenied
    if request.method == "POST":
        form = JobStartForm(request.POST)
        if form.is_valid():
            try:
                job = services.job_submit(
                    kind=form.cleaned_data["kind"],
                    params=form.cleaned_data["params"],
                    created_by=request.user,
                )
            except UnknownJobKind as exc:
                form.add_error("kind", exc.message)
            except ParamsValidationError as exc:
                for message in _params_error_messages(exc.detail):
                    form.add_error("params", message)
            else:
                messages.success(request, f"Job #{job.pk} ({_kind_label(job.kind)}) is queued.")
                return HttpResponseRedirect(reverse("admin:ml_job_change", args=[job.pk]))
    else:
        form = JobStartForm(initial={"kind": request.GET.get("kind", ""), "params": {}})
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": Job._meta,
        "title": "Start a job",
        "subtitle": None,
        "form": form,
        "kinds": [_kind_help(spec) for spec in job_kind_list()],
    }
    return TemplateResponse(request, "admin/ml/job/start.html", context)


def _get_job(object_id: Any) -> Job:
    try:
        return selectors.job_get(job_id=int(object_id))
    except (ValueError, TypeError, Job.DoesNotExist) as exc:
        raise Http404(f"No job {object_id}.") from exc


def _kind_label(kind: str) -> str:
    try:
        return job_kind_get(kind).label
    except KeyError:
        return kind


def _pretty_json(value: Any) -> str:
    return json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False, default=str)


def _kind_help(spec: JobKindSpec) -> dict[str, Any]:
    """What the start page tells about a kind: its description and its parameters."""
    params = []
    if spec.params_serializer is not None:
        for name, field in spec.params_serializer().fields.items():
            if field.read_only:
                continue
            default = getattr(field, "default", None)
            params.append(
                {
                    "name": name,
                    "type": type(field).__name__.removesuffix("Field"),
                    "required": field.required,
                    "default": None if callable(default) or default is empty else default,
                    "help_text": field.help_text or "",
                }
            )
    return {
        "kind": spec.kind,
        "label": spec.label,
        "description": spec.description,
        "queue": spec.queue,
        "params": params,
    }


def _params_error_messages(detail: Any, prefix: str = "") -> list[str]:
    """Flatten DRF error details into 'field: message' lines."""
    if isinstance(detail, dict):
        lines = []
        for key, value in detail.items():
            name = "" if key == "non_field_errors" else f"{prefix}{key}"
            lines.extend(_params_error_messages(value, f"{name}." if name else ""))
        return lines
    if isinstance(detail, list):
        lines = []
        for value in detail:
            lines.extend(_params_error_messages(value, prefix))
        return lines
    label = prefix.rstrip(".")
    return [f"{label}: {detail}" if label else str(detail)]
