"""Admin of the ML platform: jobs (list with live progress, detail, cancel, start) and a
read-only view of the model registry (promote and roll back come with the registry pages).
"""

from django.contrib import admin, messages
from django.template.loader import render_to_string
from django.urls import path

from ml import selectors, services, views
from ml.exceptions import JobNotCancellable, JobNotFound
from ml.job_kinds import job_kind_get, job_kind_list
from ml.models import Job, ModelAlias, ModelVersion


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


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ModelVersion)
class ModelVersionAdmin(ReadOnlyAdmin):
    list_display = ["task", "version", "base_model", "training_job", "short_sha", "created_at"]
    list_select_related = ["training_job"]
    list_filter = ["task"]
    search_fields = ["task", "base_model", "=sha256"]
    date_hierarchy = "created_at"

    @admin.display(description="SHA-256")
    def short_sha(self, obj: ModelVersion) -> str:
        return obj.sha256[:12]


@admin.register(ModelAlias)
class ModelAliasAdmin(ReadOnlyAdmin):
    list_display = ["task", "name", "version", "previous_version", "updated_by", "updated_at"]
    list_select_related = ["version", "previous_version", "updated_by"]
    list_filter = ["task", "name"]
    search_fields = ["task"]
