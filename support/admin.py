"""Admin of support: intents, their labelled examples (with a link to fine-tune the intent
model on them) and conversations, where staff correct the intent predicted for a shopper
message (each correction is also added as an example, so the next fine-tune learns it); the
knowledge base (articles, re-indexing); the agents' queue of handoffs (take, reply, resolve)
and the support dashboard.

Shopper messages are shown redacted (support.redaction) to everyone but the conversation's
assigned agent."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import BooleanField, Case, Value, When
from django.http import Http404, HttpResponseNotAllowed, JsonResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from config.api import DomainError
from support import selectors, services
from support.models import Article, Conversation, Handoff, Intent, IntentExample, Message
from support.redaction import redact_text

SUBMIT_JOB_PERMISSION = "ml.add_job"
TRAIN_QUERY = f"?kind=finetune_classifier&task={selectors.INTENT_TASK}&dataset=" + (
    selectors.TRAINING_DATASET
)


class TrainLinkMixin:
    """Show "Train the intent model" (the start-job page, pre-filled) to who may start jobs."""

    change_list_template = "support/train_link_change_list.html"

    def changelist_view(self, request, extra_context=None):
        context = dict(extra_context or {})
        if request.user.has_perm(SUBMIT_JOB_PERMISSION):
            context["train_intent_url"] = reverse("admin:ml_job_add") + TRAIN_QUERY
        return super().changelist_view(request, context)


@admin.register(Intent)
class IntentAdmin(TrainLinkMixin, admin.ModelAdmin):
    list_display = ["name", "key", "is_out_of_scope", "example_count"]
    search_fields = ["name", "key", "description"]
    list_filter = ["is_out_of_scope"]

    def get_queryset(self, request):
        from django.db.models import Count

        return super().get_queryset(request).annotate(example_total=Count("examples"))

    @admin.display(description="Examples", ordering="example_total")
    def example_count(self, obj: Intent) -> int:
        return obj.example_total


@admin.register(IntentExample)
class IntentExampleAdmin(TrainLinkMixin, admin.ModelAdmin):
    list_display = ["text", "intent", "source", "created_by", "created_at"]
    list_filter = ["intent", "source"]
    search_fields = ["text"]
    fields = ["text", "intent", "source", "created_by", "created_at"]
    readonly_fields = ["source", "created_by", "created_at"]
    list_select_related = ["intent", "created_by"]
    show_full_result_count = False

    def get_queryset(self, request):
        return selectors.intent_example_list()

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        saved = services.intent_example_add(text=obj.text, intent=obj.intent, user=request.user)
        obj.pk = saved.pk


class MessageInlineForm(forms.ModelForm):
    class Meta:
        model = Message
        fields = ["corrected_intent"]

    def clean_corrected_intent(self):
        intent = self.cleaned_data.get("corrected_intent")
        if intent is not None and self.instance.role != Message.Role.SHOPPER:
            raise forms.ValidationError("Only shopper messages have an intent to correct.")
        if intent is None and self.instance.corrected_intent_id is not None:
            raise forms.ValidationError(
                "A correction cannot be removed here; delete its intent example instead."
            )
        return intent


class MessageInline(admin.TabularInline):
    model = Message
    form = MessageInlineForm
    fields = [
        "created_at",
        "role",
        "text_shown",
        "predicted_intent",
        "confidence_column",
        "model_version",
        "corrected_intent",
    ]
    readonly_fields = [
        "created_at",
        "role",
        "text_shown",
        "predicted_intent",
        "confidence_column",
        "model_version",
    ]
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        viewer_is_agent = Case(
            When(conversation__assigned_agent_id=request.user.pk, then=Value(True)),
            default=Value(False),
            output_field=BooleanField(),
        )
        return (
            super()
            .get_queryset(request)
            .select_related("predicted_intent", "corrected_intent", "model_version")
            .annotate(viewer_is_agent=viewer_is_agent)
        )

    @admin.display(description="Text")
    def text_shown(self, obj: Message) -> str:
        """As written for the assigned agent; redacted for everyone else."""
        if getattr(obj, "viewer_is_agent", False):
            return obj.text
        return redact_text(obj.text)

    @admin.display(description="Confidence")
    def confidence_column(self, obj: Message) -> str:
        return "—" if obj.confidence is None else f"{obj.confidence:.0%}"


@admin.register(Conversation)
class ConversationAdmin(admin.ModelAdmin):
    list_display = ["__str__", "customer", "status", "assigned_agent", "created_at", "updated_at"]
    list_filter = ["status"]
    list_select_related = ["customer", "assigned_agent"]
    search_fields = ["session_id", "=customer__email", "messages__text"]
    fields = ["customer", "session_id", "status", "assigned_agent", "created_at", "updated_at"]
    readonly_fields = ["customer", "session_id", "created_at", "updated_at"]
    inlines = [MessageInline]
    date_hierarchy = "created_at"

    def has_add_permission(self, request):
        return False

    def get_queryset(self, request):
        return selectors.conversation_list()

    def save_formset(self, request, form, formset, change):
        if formset.model is not Message:
            super().save_formset(request, form, formset, change)
            return
        # Corrections go through the service (which also adds the training example) instead
        # of formset.save(); the attributes below are what the admin's history entry reads.
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        for inline_form in formset.forms:
            if "corrected_intent" not in inline_form.changed_data:
                continue
            message = services.message_intent_correct(
                message_id=inline_form.instance.pk,
                intent=inline_form.cleaned_data["corrected_intent"],
                user=request.user,
            )
            formset.changed_objects.append((message, ["corrected_intent"]))
        if formset.changed_objects:
            self.message_user(
                request,
                f"{len(formset.changed_objects)} intent correction(s) saved; the next "
                "fine-tune trains on them.",
                messages.SUCCESS,
            )


# --- knowledge base -----------------------------------------------------------------------

REINDEX_PERMISSION = "support.change_article"


@admin.register(Article)
class ArticleAdmin(admin.ModelAdmin):
    list_display = ["title", "topic", "is_published", "passage_count", "updated_at"]
    list_filter = ["topic", "is_published"]
    search_fields = ["title", "body"]
    fields = ["title", "topic", "body", "is_published", "created_at", "updated_at"]
    readonly_fields = ["created_at", "updated_at"]
    change_list_template = "support/article_change_list.html"

    def get_queryset(self, request):
        from django.db.models import Count

        return super().get_queryset(request).annotate(passage_total=Count("passages"))

    @admin.display(description="Indexed passages", ordering="passage_total")
    def passage_count(self, obj: Article) -> int:
        return obj.passage_total

    def get_urls(self):
        custom = [
            path(
                "reindex/",
                self.admin_site.admin_view(self.reindex_view),
                name="support_article_reindex",
            )
        ]
        return custom + super().get_urls()

    def changelist_view(self, request, extra_context=None):
        context = dict(extra_context or {})
        context["index_summary"] = selectors.knowledge_index_summary()
        context["can_reindex"] = request.user.has_perm(REINDEX_PERMISSION)
        return super().changelist_view(request, context)

    def reindex_view(self, request):
        """POST: queue the `support_kb_index` job and show its progress page."""
        if not request.user.has_perm(REINDEX_PERMISSION):
            raise PermissionDenied
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        job = services.knowledge_index_submit(user=request.user)
        self.message_user(
            request,
            f"Re-indexing queued as job #{job.pk}; answers use the new index once it finishes.",
            messages.SUCCESS,
        )
        return redirect("admin:support_article_changelist")


# --- handoffs: the agents' queue ----------------------------------------------------------

WORK_PERMISSION = "support.change_handoff"
VIEW_PERMISSION = "support.view_handoff"
MAX_ID = 2**63 - 1
DASHBOARD_PERMISSION = "support.view_conversation"


class HandoffStatusFilter(admin.SimpleListFilter):
    title = "status"
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [("queue", "Open or taken (the queue)"), *Handoff.Status.choices]

    def queryset(self, request, queryset):
        value = self.value() or "queue"
        if value == "queue":
            return queryset.exclude(status=Handoff.Status.RESOLVED)
        return queryset.filter(status=value)

    def choices(self, changelist):
        value = self.value() or "queue"
        for lookup, title in self.lookup_choices:
            yield {
                "selected": value == lookup,
                "query_string": changelist.get_query_string({self.parameter_name: lookup}),
                "display": title,
            }


@admin.register(Handoff)
class HandoffAdmin(admin.ModelAdmin):
    """The changelist is the agents' queue: unresolved handoffs, oldest first."""

    list_display = [
        "work_link",
        "reason",
        "intent",
        "sentiment",
        "customer_column",
        "orders_column",
        "status",
        "agent",
        "created_at",
    ]
    list_filter = [HandoffStatusFilter, "reason"]
    list_select_related = ["conversation__customer", "intent", "agent"]
    ordering = ["created_at", "pk"]
    fields = [
        "conversation",
        "reason",
        "status",
        "intent",
        "sentiment",
        "orders",
        "suggested_reply",
        "agent",
        "created_at",
        "taken_at",
        "first_response_at",
        "resolved_at",
    ]
    readonly_fields = fields
    change_list_template = "support/handoff_change_list.html"

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="Handoff")
    def work_link(self, obj: Handoff):
        url = reverse("admin:support_handoff_work", args=[obj.pk])
        return format_html('<a href="{}">#{} — open the conversation</a>', url, obj.pk)

    @admin.display(description="Customer")
    def customer_column(self, obj: Handoff) -> str:
        return str(obj.conversation.customer) if obj.conversation.customer else "anonymous"

    @admin.display(description="Orders")
    def orders_column(self, obj: Handoff) -> str:
        return ", ".join(obj.orders) or "—"

    def get_urls(self):
        view = self.admin_site.admin_view
        custom = [
            path("<int:pk>/work/", view(self.work_view), name="support_handoff_work"),
            path("dashboard/", view(self.dashboard_view), name="support_handoff_dashboard"),
            path(
                "dashboard/<slug:name>.json",
                view(self.dashboard_chart_view),
                name="support_handoff_dashboard_chart",
            ),
        ]
        return custom + super().get_urls()

    def changelist_view(self, request, extra_context=None):
        context = dict(extra_context or {})
        context["can_see_dashboard"] = request.user.has_perm(DASHBOARD_PERMISSION)
        return super().changelist_view(request, context)

    def work_view(self, request, pk: int):
        """GET (view permission): the conversation with its context; POST (change
        permission) action=take|reply|resolve."""
        needed = WORK_PERMISSION if request.method == "POST" else VIEW_PERMISSION
        if not request.user.has_perm(needed):
            raise PermissionDenied
        try:
            if pk > MAX_ID:
                raise Handoff.DoesNotExist
            handoff = selectors.handoff_get(handoff_id=pk)
        except Handoff.DoesNotExist as exc:
            raise Http404("No such handoff.") from exc
        error = ""
        if request.method == "POST":
            action = request.POST.get("action", "")
            try:
                if action == "take":
                    services.handoff_take(handoff_id=pk, agent=request.user)
                    self.message_user(request, "You have taken this conversation.")
                elif action == "reply":
                    services.agent_reply(
                        handoff_id=pk, agent=request.user, text=request.POST.get("text", "")
                    )
                    self.message_user(request, "Reply sent; the shopper sees it in the chat.")
                elif action == "resolve":
                    services.handoff_resolve(handoff_id=pk, agent=request.user)
                    self.message_user(request, "Conversation resolved.")
                    return redirect("admin:support_handoff_changelist")
                else:
                    error = "Unknown action."
            except (DomainError, ValueError) as exc:
                error = getattr(exc, "message", str(exc))
            if not error:
                return redirect("admin:support_handoff_work", pk)
            handoff = selectors.handoff_get(handoff_id=pk)
        conversation = handoff.conversation
        context = {
            **self.admin_site.each_context(request),
            "title": f"Handoff #{handoff.pk}: {handoff.get_reason_display()}",
            "opts": self.model._meta,
            "handoff": handoff,
            "conversation": conversation,
            "messages_shown": selectors.transcript(conversation=conversation, viewer=request.user),
            "raw_transcript": conversation.assigned_agent_id == request.user.pk,
            "error": error,
            "is_mine": handoff.agent_id == request.user.pk,
            "resolved": handoff.status == Handoff.Status.RESOLVED,
            "can_work": request.user.has_perm(WORK_PERMISSION),
        }
        return TemplateResponse(
            request, "support/handoff_work.html", context, status=400 if error else 200
        )

    def dashboard_view(self, request):
        if not request.user.has_perm(DASHBOARD_PERMISSION):
            raise PermissionDenied
        from insights.home.charts import chart_table

        charts = []
        for name in selectors.DASHBOARD_CHARTS:
            chart = selectors.dashboard_chart(name=name)
            charts.append(
                {
                    "name": name,
                    "title": chart["title"],
                    "url": reverse("admin:support_handoff_dashboard_chart", args=[name]),
                    "table": chart_table(chart),
                }
            )
        context = {
            **self.admin_site.each_context(request),
            "title": "Support dashboard",
            "opts": self.model._meta,
            "charts": charts,
        }
        return TemplateResponse(request, "support/dashboard.html", context)

    def dashboard_chart_view(self, request, name: str):
        if not request.user.has_perm(DASHBOARD_PERMISSION):
            raise PermissionDenied
        if name not in selectors.DASHBOARD_CHARTS:
            raise Http404("No such chart.")
        return JsonResponse(selectors.dashboard_chart(name=name))
