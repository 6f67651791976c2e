"""Admin-side pages of the ML platform.

Jobs: detail, live progress (htmx partials), cancel and start (a form generated from the
kind's params serializer). Model registry: an index of tasks, a page per task (versions,
metrics side by side, an SVG chart, aliases, history), promote and roll back with a
confirmation page.

They are wired into the admin by `ml.admin` (`get_urls`), so `admin_view` has already
checked that the user is active staff; each view checks its own permission. They parse
input, call `ml.selectors` / `ml.services` and render.
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
from django.utils.http import urlencode
from django.views.decorators.http import require_POST
from rest_framework.exceptions import ValidationError as ParamsValidationError
from rest_framework.fields import empty

from ml import selectors, services
from ml.exceptions import (
    AliasNotSet,
    ArtifactIntegrityError,
    JobNotCancellable,
    JobNotFound,
    ModelVersionNotFound,
    RollbackUnavailable,
    UnknownJobKind,
)
from ml.forms import JobParamsForm, JobStartForm
from ml.job_kinds import JobKindSpec, job_kind_get, job_kind_list
from ml.models import Job, ModelAlias, ModelVersion
from ml.registry_display import (
    data_rows,
    line_chart,
    metric_compare,
    metric_format,
    metric_higher_is_better,
    metric_main,
    metric_table_columns,
    metrics_flatten,
)


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
    """Choose a job kind, fill in its parameters and queue it.

    A kind with a params serializer gets a form built from its fields (query parameters such
    as `?kind=finetune_classifier&task=sentiment` pre-fill it); other kinds, or `mode=json`,
    take a JSON object. Changing the kind swaps the parameters part of the page (htmx).
    """
    if not model_admin.has_add_permission(request):
        raise PermissionDenied
    data = request.POST if request.method == "POST" else request.GET
    spec = _kind_spec_or_none(data.get("kind", ""))
    mode = data.get("mode")
    if mode not in ("form", "json"):
        # A bare POST of `params` (the page before forms existed, scripts) means JSON.
        mode = "json" if request.method == "POST" and "params" in request.POST else "form"
    serializer_class = spec.params_serializer if spec else None
    use_form = serializer_class is not None and mode == "form"
    form_options = {"json_params": not use_form, "kind_change_url": reverse("admin:ml_job_add")}
    params_form: JobParamsForm | None = None
    if request.method == "POST":
        form = JobStartForm(request.POST, **form_options)
        if use_form:
            params_form = JobParamsForm(
                request.POST, serializer_class=serializer_class, prefix="params"
            )
        if form.is_valid() and (params_form is None or params_form.is_valid()):
            params = params_form.params() if params_form else form.cleaned_data["params"]
            try:
                job = services.job_submit(
                    kind=form.cleaned_data["kind"], params=params, created_by=request.user
                )
            except UnknownJobKind as exc:
                form.add_error("kind", exc.message)
            except ParamsValidationError as exc:
                _add_params_errors(form, params_form, exc.detail)
            else:
                messages.success(request, f"Job #{job.pk} ({_kind_label(job.kind)}) is queued.")
                return HttpResponseRedirect(reverse("admin:ml_job_change", args=[job.pk]))
    else:
        form = JobStartForm(
            initial={"kind": spec.kind if spec else "", "params": {}}, **form_options
        )
        if use_form:
            params_form = JobParamsForm(serializer_class=serializer_class, prefix="params")
            params_form.initial_from_query(request.GET)
    context = {
        "form": form,
        "params_form": params_form,
        "json_mode": not use_form,
        "kind": _kind_help(spec) if spec else None,
        "form_mode_url": _start_url(spec.kind) if spec and serializer_class else "",
        "json_mode_url": _start_url(spec.kind, mode="json") if spec and use_form else "",
    }
    if request.htmx and not request.htmx.history_restore_request:
        response = TemplateResponse(request, "ml/job_params.html", context)
    else:
        context.update(
            model_admin.admin_site.each_context(request),
            opts=Job._meta,
            title="Start a job",
            subtitle=None,
            kinds=[_kind_help(kind_spec) for kind_spec in job_kind_list()],
        )
        response = TemplateResponse(request, "admin/ml/job/start.html", context)
    patch_vary_headers(response, ["HX-Request"])
    return response


def _get_job(object_id: Any) -> Job:
    try:
        return selectors.job_get(job_id=int(object_id))
    except (ValueError, TypeError, Job.DoesNotExist) as exc:
        raise Http404(f"No job {object_id}.") from exc


def _kind_spec_or_none(kind: str) -> JobKindSpec | None:
    try:
        return job_kind_get(kind)
    except KeyError:
        return None


def _start_url(kind: str, **query: str) -> str:
    return f"{reverse('admin:ml_job_add')}?{urlencode({'kind': kind, **query})}"


def _add_params_errors(form: JobStartForm, params_form: JobParamsForm | None, detail: Any) -> None:
    """Show the kind's serializer errors on the fields they are about."""
    if params_form is None:
        for message in _params_error_messages(detail):
            form.add_error("params", message)
        return
    if not isinstance(detail, dict):
        detail = {"non_field_errors": detail}
    for name, errors in detail.items():
        if name in params_form.fields:
            for message in _params_error_messages(errors):
                params_form.add_error(name, message)
        else:
            label = "" if name == "non_field_errors" else f"{name}."
            for message in _params_error_messages(errors, label):
                params_form.add_error(None, message)


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


# --- Model registry ----------------------------------------------------------------------
# Wired in by `ml.admin.ModelVersionAdmin.get_urls`. Viewing needs the modelversion view (or
# change) permission; moving an alias needs `ml.change_modelalias`.

ALIASES = tuple(ModelAlias.Name.values)
MOVE_ALIAS_PERMISSION = "ml.change_modelalias"
HISTORY_LIMIT = 50
# The fine-tuning kind offered on a task's page: generators report perplexity / held-out loss.
FINETUNE_CLASSIFIER_KIND = "finetune_classifier"
FINETUNE_GENERATOR_KIND = "finetune_generator_lora"
GENERATOR_METRIC_FRAGMENTS = ("perplexity", "heldout_loss")


def registry_index(request: HttpRequest, *, model_admin: ModelAdmin) -> HttpResponse:
    """Every task that has model versions, with its champion and challenger."""
    _require_registry_view(request, model_admin)
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": ModelVersion._meta,
        "title": "Model registry",
        "subtitle": None,
        "tasks": registry_task_summaries(),
    }
    return TemplateResponse(request, "admin/ml/modelversion/registry.html", context)


def registry_task(request: HttpRequest, *, model_admin: ModelAdmin, task: str) -> HttpResponse:
    """One task: its versions and their metrics side by side, a chart of the main metric,
    the champion and challenger with promote and roll back, and the history of alias moves."""
    _require_registry_view(request, model_admin)
    versions = list(selectors.modelversion_list(task=task))
    if not versions:
        raise Http404(f"No model versions for task {task!r}.")
    aliases = {alias.name: alias for alias in selectors.alias_list(task=task)}
    flat = {version.pk: metrics_flatten(version.metrics) for version in versions}
    main = metric_main(list(flat.values()))
    columns = metric_table_columns(list(flat.values()), main)
    champion = aliases.get(ModelAlias.Name.CHAMPION)
    can_move = request.user.has_perm(MOVE_ALIAS_PERMISSION)
    rows = []
    for version in versions:
        held = sorted(alias.name for alias in version.aliases.all())
        rows.append(
            {
                "version": version,
                "aliases": held,
                "data_rows": data_rows(version.data_summary),
                "data_summary_json": _pretty_json(version.data_summary),
                "metrics": [metric_format(flat[version.pk].get(name)) for name in columns],
                "promote": [
                    {
                        "alias": name,
                        "url": reverse("admin:ml_modelversion_promote", args=[version.pk, name]),
                    }
                    for name in ALIASES
                    if can_move and name not in held
                ],
            }
        )
    champion_id = champion.version_id if champion else None
    chart = (
        line_chart(
            [
                (f"v{version.version}", flat[version.pk][main], version.pk == champion_id)
                for version in reversed(versions)
                if main in flat[version.pk]
            ]
        )
        if main
        else None
    )
    alias_cards = []
    for name in ALIASES:
        alias = aliases.get(name)
        alias_cards.append(
            {
                "name": name,
                "alias": alias,
                "main_value": metric_format(metrics_flatten(alias.version.metrics).get(main))
                if alias and main
                else "",
                "rollback_url": reverse("admin:ml_modelversion_rollback", args=[task, name])
                if alias and alias.previous_version_id and can_move
                else "",
            }
        )
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": ModelVersion._meta,
        "title": f"Model registry: {task}",
        "subtitle": None,
        "task": task,
        "main_metric": main,
        "main_metric_higher_is_better": metric_higher_is_better(main) if main else True,
        "columns": columns,
        # Zero-width spaces let long snake_case headers wrap instead of widening the table.
        "column_headers": [
            {
                "split": name.rpartition(".")[0],
                "leaf": name.rpartition(".")[2].replace("_", "_\u200b"),
            }
            for name in columns
        ],
        "rows": rows,
        "chart": chart,
        "alias_cards": alias_cards,
        "history": list(selectors.aliaschange_list(task=task)[:HISTORY_LIMIT]),
        "can_move": can_move,
        "finetune_url": _finetune_url(request, task=task, main_metric=main),
    }
    return TemplateResponse(request, "admin/ml/modelversion/task.html", context)


def modelversion_promote(
    request: HttpRequest, *, model_admin: ModelAdmin, object_id: int, alias: str
) -> HttpResponse:
    """GET: what promoting would change, metric by metric against the champion.
    POST: promote (the artifact is verified first; a damaged one changes nothing)."""
    _require_alias_move(request, model_admin, alias)
    try:
        version = selectors.modelversion_get(version_id=int(object_id))
    except (ValueError, ModelVersion.DoesNotExist) as exc:
        raise Http404(f"No model version {object_id}.") from exc
    task_url = reverse("admin:ml_modelversion_task", args=[version.task])
    if request.method == "POST":
        try:
            services.alias_promote(version_id=version.pk, alias=alias, user=request.user)
        except (ArtifactIntegrityError, ModelVersionNotFound) as exc:
            messages.error(request, f"{version} was not promoted to {alias}: {exc.message}")
        else:
            messages.success(request, f"{version} is now the {alias} of {version.task}.")
        return HttpResponseRedirect(task_url)
    current = selectors.alias_get(task=version.task, alias=alias)
    champion = (
        current
        if alias == ModelAlias.Name.CHAMPION
        else selectors.alias_get(task=version.task, alias=ModelAlias.Name.CHAMPION)
    )
    baseline = champion.version if champion else None
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": ModelVersion._meta,
        "title": f"Promote {version} to {alias}?",
        "subtitle": None,
        "task": version.task,
        "task_url": task_url,
        "version": version,
        "alias": alias,
        "current": current,
        "baseline": baseline,
        "already": current is not None and current.version_id == version.pk,
        "comparison": _comparison(baseline, version),
        "current_label": f"Champion v{baseline.version}" if baseline else "Champion",
        "candidate_label": f"Candidate v{version.version}",
    }
    return TemplateResponse(request, "admin/ml/modelversion/promote_confirm.html", context)


def alias_rollback(
    request: HttpRequest, *, model_admin: ModelAdmin, task: str, alias: str
) -> HttpResponse:
    """GET: which version the alias would go back to, and how its metrics compare.
    POST: roll back to it."""
    _require_alias_move(request, model_admin, alias)
    task_url = reverse("admin:ml_modelversion_task", args=[task])
    if request.method == "POST":
        try:
            moved = services.alias_rollback(task=task, alias=alias, user=request.user)
        except (AliasNotSet, RollbackUnavailable) as exc:
            messages.error(request, f"Nothing was rolled back: {exc.message}")
        else:
            messages.success(
                request,
                f"The {alias} of {task} is back on v{moved.version.version} "
                f"(it was v{moved.previous_version.version}).",
            )
        return HttpResponseRedirect(task_url)
    current = selectors.alias_get(task=task, alias=alias)
    if current is None or current.previous_version is None:
        reason = "is not set" if current is None else "has no earlier version to return to"
        messages.error(request, f"Nothing to roll back: the {alias} of {task} {reason}.")
        return HttpResponseRedirect(task_url)
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": ModelVersion._meta,
        "title": f"Roll back the {alias} of {task}?",
        "subtitle": None,
        "task": task,
        "task_url": task_url,
        "alias": alias,
        "current": current,
        "comparison": _comparison(current.version, current.previous_version),
        "current_label": f"Now v{current.version.version}",
        "candidate_label": f"Back to v{current.previous_version.version}",
    }
    return TemplateResponse(request, "admin/ml/modelversion/rollback_confirm.html", context)


def registry_task_summaries() -> list[dict[str, Any]]:
    """Rows of the registry index: per task its counts, champion and challenger."""
    aliases = {(alias.task, alias.name): alias for alias in selectors.alias_list()}
    summaries = []
    for stats in selectors.modelversion_task_stats():
        task = stats["task"]
        row = {**stats, "url": reverse("admin:ml_modelversion_task", args=[task])}
        for name in ALIASES:
            alias = aliases.get((task, name))
            row[name] = _version_summary(alias.version) if alias else None
        summaries.append(row)
    return summaries


def modelversion_key_metric(version: ModelVersion) -> str:
    """`name value` of the version's own main metric, for lists across tasks."""
    flat = metrics_flatten(version.metrics)
    name = metric_main([flat])
    return f"{name} {metric_format(flat[name])}" if name else "—"


def _version_summary(version: ModelVersion) -> dict[str, Any]:
    return {"version": version, "key_metric": modelversion_key_metric(version)}


def _comparison(baseline: ModelVersion | None, candidate: ModelVersion) -> list[dict[str, Any]]:
    """Rows of a confirmation page, the main metric first."""
    candidate_flat = metrics_flatten(candidate.metrics)
    baseline_flat = metrics_flatten(baseline.metrics) if baseline else None
    main = metric_main([candidate_flat, *([baseline_flat] if baseline_flat else [])])
    rows = [
        {
            "name": row.name,
            "current": metric_format(row.current),
            "candidate": metric_format(row.candidate),
            "delta": metric_format(row.delta, signed=True) if row.delta is not None else "",
            "verdict": row.verdict,
            "is_main": row.name == main,
        }
        for row in metric_compare(baseline_flat, candidate_flat)
    ]
    return sorted(rows, key=lambda row: not row["is_main"])


def _finetune_url(request: HttpRequest, *, task: str, main_metric: str | None) -> str:
    """The start-job page pre-filled to fine-tune this task, if that kind exists."""
    if not request.user.has_perm("ml.add_job"):
        return ""
    generator = bool(main_metric) and any(
        fragment in main_metric for fragment in GENERATOR_METRIC_FRAGMENTS
    )
    kind = FINETUNE_GENERATOR_KIND if generator else FINETUNE_CLASSIFIER_KIND
    if _kind_spec_or_none(kind) is None:
        return ""
    return _start_url(kind, task=task)


def _require_registry_view(request: HttpRequest, model_admin: ModelAdmin) -> None:
    if not model_admin.has_view_permission(request):
        raise PermissionDenied


def _require_alias_move(request: HttpRequest, model_admin: ModelAdmin, alias: str) -> None:
    _require_registry_view(request, model_admin)
    if alias not in ALIASES:
        raise Http404(f"Unknown alias {alias!r}.")
    if not request.user.has_perm(MOVE_ALIAS_PERMISSION):
        raise PermissionDenied
