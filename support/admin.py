"""Admin of support: intents, their labelled examples (with a link to fine-tune the intent
model on them) and conversations, where staff correct the intent predicted for a shopper
message; each correction is also added as an example, so the next fine-tune learns it."""

from django import forms
from django.contrib import admin, messages
from django.urls import reverse

from support import selectors, services
from support.models import Conversation, Intent, IntentExample, Message

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
        "text",
        "predicted_intent",
        "confidence_column",
        "model_version",
        "corrected_intent",
    ]
    readonly_fields = [
        "created_at",
        "role",
        "text",
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
        return (
            super()
            .get_queryset(request)
            .select_related("predicted_intent", "corrected_intent", "model_version")
        )

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
