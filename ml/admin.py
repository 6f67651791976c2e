"""Admin of the ML platform: jobs (list with live progress, detail, cancel, start) and the
model registry (an index of tasks, a page per task with promote and roll back, the history of
alias moves).
"""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.template.loader import render_to_string
from django.urls import path, reverse
from django.utils.html import format_html

from config.admin_base import ReadOnlyAdmin
from ml import selectors, services, views
from ml.exceptions import JobNotCancellable, JobNotFound
from ml.job_kinds import job_kind_get, job_kind_list
from ml.models import AliasChange, Job, ModelAlias, ModelVersion


class JobKindFilter(admin.SimpleListFilter):
    """Kinds come from the registry, so the filter costs no query."""

    title = "kind"
    parameter_name = "kind"

    def lookups(self, request, model_admin):
        return [(spec.kind, spec.label) for spec in job_kind_list()]

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(kind=self.value())
        return queryset


@admin.register(Job)
class JobAdmin(admin.ModelAdmin):
    """Jobs are created by `ml.services.job_submit` (the add page is the start-job form) and
    move only through the services, so the detail page is read-only."""

    change_list_template = "admin/ml/job/change_list.html"
    list_display = [
        "id",
        "kind_label",
        "status_badge",
        "progress_bar",
        "created_by",
        "created_at",
        "duration",
    ]
    list_display_links = ["id", "kind_label"]
    list_filter = ["status", JobKindFilter, "queue"]
    search_fields = ["=id", "kind", "progress_message", "error", "=celery_task_id"]
    date_hierarchy = "created_at"
    actions = ["cancel_selected"]

    def get_queryset(self, request):
        return selectors.job_list()

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        custom = [
            path(
                "<int:object_id>/progress/",
                self.admin_site.admin_view(self.progress_view),
                name="{}_{}_progress".format(*info),
            ),
            path(
                "<int:object_id>/cancel/",
                self.admin_site.admin_view(self.cancel_view),
                name="{}_{}_cancel".format(*info),
            ),
        ]
        return custom + super().get_urls()

    # --- pages ---------------------------------------------------------------------------

    def changelist_view(self, request, extra_context=None):
        return super().changelist_view(request, {"title": "Jobs", **(extra_context or {})})

    def add_view(self, request, form_url="", extra_context=None):
        return views.job_start(request, model_admin=self)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        return views.job_detail(request, model_admin=self, object_id=object_id)

    def progress_view(self, request, object_id):
        return views.job_progress(request, model_admin=self, object_id=object_id)

    def cancel_view(self, request, object_id):
        return views.job_cancel(request, model_admin=self, object_id=object_id)

    # --- columns -------------------------------------------------------------------------

    @admin.display(description="Kind", ordering="kind")
    def kind_label(self, job: Job) -> str:
        try:
            return job_kind_get(job.kind).label
        except KeyError:
            return job.kind

    @admin.display(description="Status", ordering="status")
    def status_badge(self, job: Job) -> str:
        return render_to_string("ml/job_status.html", {"job": job})

    @admin.display(description="Progress", ordering="progress")
    def progress_bar(self, job: Job) -> str:
        return render_to_string("ml/job_progress.html", {"job": job, "poll": not job.is_finished})

    @admin.display(description="Duration")
    def duration(self, job: Job) -> str:
        seconds = job.duration_seconds
        if seconds is None:
            return "—"
        minutes, secs = divmod(int(seconds), 60)
        hours, minutes = divmod(minutes, 60)
        if hours:
            return f"{hours} h {minutes} min"
        if minutes:
            return f"{minutes} min {secs} s"
        return f"{seconds:.1f} s"

    # --- actions -------------------------------------------------------------------------

    @admin.action(description="Cancel selected jobs", permissions=["change"])
    def cancel_selected(self, request, queryset):
        cancelled, skipped = 0, 0
        for job_id in queryset.values_list("pk", flat=True):
            try:
                services.job_cancel(job_id=job_id)
            except (JobNotCancellable, JobNotFound):
                skipped += 1
            else:
                cancelled += 1
        if cancelled:
            self.message_user(request, f"Asked {cancelled} job(s) to stop.", messages.SUCCESS)
        if skipped:
            self.message_user(request, f"{skipped} job(s) had already finished.", messages.WARNING)


class RetrainFlagFilter(admin.SimpleListFilter):
    title = "retraining"
    parameter_name = "retrain"

    def lookups(self, request, model_admin):
        return [("needed", "Retrain needed"), ("ok", "No retrain needed")]

    def queryset(self, request, queryset):
        if self.value() == "needed":
            return queryset.filter(retrain_flagged_at__isnull=False)
        if self.value() == "ok":
            return queryset.filter(retrain_flagged_at__isnull=True)
        return queryset


@admin.register(ModelVersion)
class ModelVersionAdmin(ReadOnlyAdmin):
    """Versions are immutable; the registry pages (an index of tasks, a page per task) are
    where they are compared, promoted and rolled back."""

    change_list_template = "admin/ml/modelversion/change_list.html"
    change_form_template = "admin/ml/modelversion/change_form.html"
    list_display = [
        "version_label",
        "task_link",
        "alias_badges",
        "key_metric",
        "base_model",
        "training_job_link",
        "created_at",
        "retrain_flag",
    ]
    list_display_links = ["version_label"]
    list_filter = ["task", RetrainFlagFilter]
    search_fields = ["task", "base_model", "=sha256"]
    date_hierarchy = "created_at"

    def get_queryset(self, request):
        return selectors.modelversion_list()

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        custom = [
            path(
                "registry/",
                self.admin_site.admin_view(self.registry_view),
                name="{}_{}_registry".format(*info),
            ),
            path(
                "registry/<str:task>/",
                self.admin_site.admin_view(self.task_view),
                name="{}_{}_task".format(*info),
            ),
            path(
                "registry/<str:task>/rollback/<str:alias>/",
                self.admin_site.admin_view(self.rollback_view),
                name="{}_{}_rollback".format(*info),
            ),
            path(
                "<int:object_id>/promote/<str:alias>/",
                self.admin_site.admin_view(self.promote_view),
                name="{}_{}_promote".format(*info),
            ),
        ]
        return custom + super().get_urls()

    # --- pages ---------------------------------------------------------------------------

    def changelist_view(self, request, extra_context=None):
        context = {"registry_tasks": views.registry_task_summaries(), **(extra_context or {})}
        return super().changelist_view(request, context)

    def registry_view(self, request):
        return views.registry_index(request, model_admin=self)

    def task_view(self, request, task):
        return views.registry_task(request, model_admin=self, task=task)

    def promote_view(self, request, object_id, alias):
        return views.modelversion_promote(
            request, model_admin=self, object_id=object_id, alias=alias
        )

    def rollback_view(self, request, task, alias):
        return views.alias_rollback(request, model_admin=self, task=task, alias=alias)

    # --- columns -------------------------------------------------------------------------

    @admin.display(description="Version", ordering="version")
    def version_label(self, obj: ModelVersion) -> str:
        return f"v{obj.version}"

    @admin.display(description="Task", ordering="task")
    def task_link(self, obj: ModelVersion) -> str:
        url = reverse("admin:ml_modelversion_task", args=[obj.task])
        return format_html('<a href="{}">{}</a>', url, obj.task)

    @admin.display(description="Aliases")
    def alias_badges(self, obj: ModelVersion) -> str:
        names = sorted(alias.name for alias in obj.aliases.all())
        return render_to_string("ml/alias_badges.html", {"aliases": names})

    @admin.display(description="Key metric")
    def key_metric(self, obj: ModelVersion) -> str:
        return views.modelversion_key_metric(obj)

    @admin.display(description="Retrain", ordering="retrain_flagged_at")
    def retrain_flag(self, obj: ModelVersion) -> str:
        """Set when data the version may have been trained on was erased (shop.privacy)."""
        if obj.retrain_flagged_at is None:
            return "—"
        return format_html(
            '<span title="{}">Retrain needed since {}</span>',
            obj.retrain_reason,
            obj.retrain_flagged_at.date(),
        )

    @admin.display(description="Training job", ordering="training_job")
    def training_job_link(self, obj: ModelVersion) -> str:
        if obj.training_job_id is None:
            return "—"
        url = reverse("admin:ml_job_change", args=[obj.training_job_id])
        return format_html('<a href="{}">Job #{}</a>', url, obj.training_job_id)


@admin.register(ModelAlias)
class ModelAliasAdmin(ReadOnlyAdmin):
    """Aliases move only through promote and roll back, on the registry pages."""

    list_display = ["task", "name", "version", "previous_version", "updated_by", "updated_at"]
    list_select_related = ["version", "previous_version", "updated_by"]

    def changelist_view(self, request, extra_context=None):
        # The registry index is the list of aliases, task by task.
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        return HttpResponseRedirect(reverse("admin:ml_modelversion_registry"))


@admin.register(AliasChange)
class AliasChangeAdmin(ReadOnlyAdmin):
    """The audit trail of promotions and roll-backs; whoever may see aliases may see it."""

    list_display = [
        "changed_at",
        "task",
        "alias",
        "action",
        "from_version",
        "to_version",
        "changed_by",
    ]
    list_select_related = ["from_version", "to_version", "changed_by"]
    list_filter = ["task", "alias", "action"]
    date_hierarchy = "changed_at"

    def has_view_permission(self, request, obj=None):
        return super().has_view_permission(request, obj) or request.user.has_perm(
            "ml.view_modelalias"
        )
