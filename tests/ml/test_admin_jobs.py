"""The jobs admin: list with live progress, detail, cancel, start; and who may do what."""

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from rest_framework import serializers

from ml import job_kinds
from ml.forms import form_field_for
from ml.job_kinds import JobContext, JobKindSpec, JobOutcome, job_task
from ml.models import Job, ModelVersion

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:ml_job_changelist"


def _job(**fields) -> Job:
    fields.setdefault("kind", "rating_aggregates")
    return Job.objects.create(**fields)


def _running(progress: int = 45, **fields) -> Job:
    return _job(
        status=Job.Status.RUNNING,
        progress=progress,
        progress_message="Scoring reviews",
        started_at=timezone.now(),
        **fields,
    )


def _succeeded(**fields) -> Job:
    now = timezone.now()
    return _job(
        status=Job.Status.SUCCEEDED, progress=100, started_at=now, finished_at=now, **fields
    )


@pytest.fixture
def staff_client(client, django_user_model):
    """A client logged in as a staff user (not a superuser) in the given group."""

    def login(group_name: str):
        user = django_user_model.objects.create_user(
            username=group_name.lower().replace(" ", "-"), password="pw", is_staff=True
        )
        user.groups.add(Group.objects.get(name=group_name))
        client.force_login(user)
        client.user = user
        return client

    return login


# --- List ----------------------------------------------------------------------------------


def test_job_list_polls_only_unfinished_jobs(admin_client):
    running = _running()
    done = _succeeded()

    response = admin_client.get(reverse(CHANGELIST))

    body = response.content.decode()
    assert response.status_code == 200
    assert f'hx-get="{reverse("admin:ml_job_progress", args=[running.pk])}"' in body
    assert reverse("admin:ml_job_progress", args=[done.pk]) not in body
    assert body.count('hx-trigger="every 2s"') == 1
    assert 'aria-valuenow="45"' in body


def test_job_list_shows_kind_label_and_start_button(admin_client):
    _job()

    body = admin_client.get(reverse(CHANGELIST)).content.decode()

    assert "Recompute product rating aggregates" in body
    assert f'href="{reverse("admin:ml_job_add")}" class="addlink">Start job<' in body


@pytest.mark.parametrize(
    ("query", "expected_kinds"),
    [
        ({"status__exact": "running"}, ["test_count"]),
        ({"kind": "rating_aggregates"}, ["rating_aggregates"]),
    ],
)
def test_job_list_filters_by_status_and_kind(admin_client, query, expected_kinds):
    _running(kind="test_count")
    _job(kind="rating_aggregates")

    response = admin_client.get(reverse(CHANGELIST), query)

    assert [job.kind for job in response.context["cl"].result_list] == expected_kinds


def test_job_list_query_count_does_not_grow_with_rows(
    admin_client, admin_user, django_assert_max_num_queries
):
    _running(created_by=admin_user)
    admin_client.get(reverse(CHANGELIST))
    with CaptureQueriesContext(connection) as one_row:
        admin_client.get(reverse(CHANGELIST))
    for _ in range(20):
        _running(created_by=admin_user)
        _succeeded(created_by=admin_user)

    with django_assert_max_num_queries(len(one_row)):
        response = admin_client.get(reverse(CHANGELIST))

    assert response.context["cl"].result_count == 41
    assert len(one_row) <= 10


# --- Progress partial ------------------------------------------------------------------------


def test_progress_partial_of_running_job_shows_percentage_and_keeps_polling(admin_client):
    job = _running(progress=45)

    response = admin_client.get(
        reverse("admin:ml_job_progress", args=[job.pk]), headers={"HX-Request": "true"}
    )

    body = response.content.decode()
    assert response.status_code == 200
    assert 'aria-valuenow="45"' in body
    assert "width: 45%" in body
    assert 'hx-trigger="every 2s"' in body
    assert "Scoring reviews" in body
    assert f'id="job-status-{job.pk}" class="job-status job-status--running" hx-swap-oob' in body
    assert "<html" not in body


def test_progress_partial_of_finished_job_stops_polling(admin_client):
    job = _succeeded()

    response = admin_client.get(reverse("admin:ml_job_progress", args=[job.pk]))

    body = response.content.decode()
    assert 'aria-valuenow="100"' in body
    assert "hx-trigger" not in body
    assert "hx-get" not in body
    assert "Succeeded" in body


def test_progress_partial_of_missing_job_is_404(admin_client):
    assert admin_client.get(reverse("admin:ml_job_progress", args=[999])).status_code == 404


# --- Detail --------------------------------------------------------------------------------


def test_detail_shows_params_metrics_log_error_traceback_and_model_version(admin_client):
    version = ModelVersion.objects.create(
        task="sentiment", version=3, base_model="minilm", artifact_path="a", sha256="0" * 64
    )
    now = timezone.now()
    job = _job(
        status=Job.Status.FAILED,
        params={"epochs": 3},
        metrics={"accuracy": 0.91},
        log="[10:00:00] loading data\n",
        error="ValueError: bad column",
        traceback="Traceback (most recent call last):\n  File x\nValueError: bad column",
        model_version=version,
        started_at=now,
        finished_at=now,
    )

    response = admin_client.get(reverse("admin:ml_job_change", args=[job.pk]))

    body = response.content.decode()
    assert response.status_code == 200
    for text in (
        "&quot;epochs&quot;: 3",
        "accuracy",
        "0.91",
        "loading data",
        "ValueError: bad column",
        "Traceback (most recent call last)",
        "sentiment v3",
        "Recompute product rating aggregates",
    ):
        assert text in body, text
    assert 'hx-trigger="every 2s"' not in body
    assert "Cancel job" not in body


def test_detail_of_running_job_refreshes_itself_and_offers_cancel(admin_client):
    job = _running()

    body = admin_client.get(reverse("admin:ml_job_change", args=[job.pk])).content.decode()

    assert f'hx-get="{reverse("admin:ml_job_change", args=[job.pk])}"' in body
    assert body.count('hx-trigger="every 2s"') == 1
    assert f'action="{reverse("admin:ml_job_cancel", args=[job.pk])}"' in body
    assert "csrfmiddlewaretoken" in body


def test_detail_htmx_request_returns_the_body_only(admin_client):
    job = _running()

    response = admin_client.get(
        reverse("admin:ml_job_change", args=[job.pk]), headers={"HX-Request": "true"}
    )

    body = response.content.decode()
    assert '<div id="job-detail"' in body
    assert "<html" not in body
    assert "HX-Request" in response["Vary"]


def test_detail_of_missing_job_is_404(admin_client):
    assert admin_client.get(reverse("admin:ml_job_change", args=[999])).status_code == 404


# --- Cancel --------------------------------------------------------------------------------


def test_cancel_moves_a_queued_job_to_cancelled(admin_client):
    job = _job()

    response = admin_client.post(reverse("admin:ml_job_cancel", args=[job.pk]), follow=True)

    job.refresh_from_db()
    assert job.status == Job.Status.CANCELLED
    assert job.finished_at is not None
    assert f"Job #{job.pk} was cancelled." in response.content.decode()


def test_cancel_of_a_running_job_asks_it_to_stop(admin_client):
    job = _running()

    response = admin_client.post(reverse("admin:ml_job_cancel", args=[job.pk]), follow=True)

    job.refresh_from_db()
    assert (job.status, job.cancel_requested) == (Job.Status.RUNNING, True)
    assert "was asked to stop" in response.content.decode()


def test_cancel_of_a_finished_job_is_refused_with_a_message(admin_client):
    job = _succeeded()

    response = admin_client.post(reverse("admin:ml_job_cancel", args=[job.pk]), follow=True)

    job.refresh_from_db()
    assert job.status == Job.Status.SUCCEEDED
    assert f"Job {job.pk} has already succeeded." in response.content.decode()


def test_cancel_needs_post(admin_client):
    job = _job()

    response = admin_client.get(reverse("admin:ml_job_cancel", args=[job.pk]))

    assert response.status_code == 405
    job.refresh_from_db()
    assert job.status == Job.Status.QUEUED


def test_cancel_needs_a_csrf_token(admin_user):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(admin_user)
    job = _job()

    response = client.post(reverse("admin:ml_job_cancel", args=[job.pk]))

    assert response.status_code == 403
    job.refresh_from_db()
    assert job.status == Job.Status.QUEUED


def test_cancel_selected_action_cancels_unfinished_jobs(admin_client):
    queued = _job()
    done = _succeeded()

    admin_client.post(
        reverse(CHANGELIST),
        {"action": "cancel_selected", "_selected_action": [queued.pk, done.pk]},
    )

    queued.refresh_from_db()
    done.refresh_from_db()
    assert (queued.status, done.status) == (Job.Status.CANCELLED, Job.Status.SUCCEEDED)


# --- Start ---------------------------------------------------------------------------------


def test_start_page_lists_registered_kinds(admin_client):
    response = admin_client.get(reverse("admin:ml_job_add"))

    body = response.content.decode()
    assert response.status_code == 200
    assert '<option value="rating_aggregates">Recompute product rating aggregates</option>' in body
    assert "Recounts each product" in body


def test_start_form_creates_a_queued_job_by_the_user(
    admin_client, admin_user, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = admin_client.post(
            reverse("admin:ml_job_add"), {"kind": "rating_aggregates", "params": "{}"}
        )

    job = Job.objects.get()
    assert (job.kind, job.status, job.params, job.created_by) == (
        "rating_aggregates",
        Job.Status.QUEUED,
        {},
        admin_user,
    )
    assert len(callbacks) == 1  # the enqueue, sent once the transaction commits
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:ml_job_change", args=[job.pk])


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"kind": "rating_aggregates", "params": "{not json"}, "params", "Enter a valid JSON."),
        ({"kind": "rating_aggregates", "params": "[1, 2]"}, "params", "Enter a JSON object"),
        ({"kind": "no_such_kind", "params": "{}"}, "kind", "Select a valid choice."),
        ({"kind": "", "params": "{}"}, "kind", "This field is required."),
    ],
)
def test_start_form_rejects_bad_input(admin_client, data, field, message):
    response = admin_client.post(reverse("admin:ml_job_add"), data)

    assert response.status_code == 200
    errors = response.context["form"].errors[field]
    assert any(message in error for error in errors), errors
    assert not Job.objects.exists()


class _EpochsParams(serializers.Serializer):
    epochs = serializers.IntegerField(min_value=1, max_value=50, help_text="Passes over the data")


@pytest.fixture
def kind_with_params(monkeypatch):
    spec = JobKindSpec(
        kind="test_with_params",
        label="Test: with params",
        task_name="ml.job.test_count",
        queue="default",
        params_serializer=_EpochsParams,
    )
    monkeypatch.setitem(job_kinds._REGISTRY, spec.kind, spec)
    return spec


def test_start_form_shows_the_kinds_parameter_errors(admin_client, kind_with_params):
    response = admin_client.post(
        reverse("admin:ml_job_add"), {"kind": "test_with_params", "params": '{"epochs": 0}'}
    )

    assert response.context["form"].errors["params"] == [
        "epochs: Ensure this value is greater than or equal to 1."
    ]
    assert not Job.objects.exists()


def test_start_form_passes_validated_params(
    admin_client, kind_with_params, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        admin_client.post(
            reverse("admin:ml_job_add"), {"kind": "test_with_params", "params": '{"epochs": 4}'}
        )

    assert Job.objects.get().params == {"epochs": 4}


def test_start_page_describes_kind_parameters(admin_client, kind_with_params):
    body = admin_client.get(reverse("admin:ml_job_add")).content.decode()

    assert "<code>epochs</code>" in body
    assert "Passes over the data" in body


# --- Start: a form generated from the kind's params serializer ------------------------------

DATASETS = [("reviews", "Store reviews"), ("clothing", "Clothing reviews")]


class FineTuneFormParams(serializers.Serializer):
    dataset = serializers.ChoiceField(
        choices=DATASETS, default="reviews", help_text="Which labelled data to train on"
    )
    task = serializers.CharField(max_length=64, default="sentiment")
    max_rows = serializers.IntegerField(min_value=10, max_value=100_000, default=2000)
    batch_size = serializers.IntegerField(min_value=1, max_value=256, default=16)
    learning_rate = serializers.FloatField(min_value=1e-6, max_value=1.0, default=5e-5)
    promote = serializers.BooleanField(
        default=False, help_text="Make the new version champion if it beats the current one"
    )
    since = serializers.DateField(required=False, help_text="Only rows from this day on")

    def validate(self, attrs):
        # A rule only the serializer knows, so its error must travel back to the field.
        if attrs["batch_size"] > attrs["max_rows"]:
            raise serializers.ValidationError({"batch_size": "Must not exceed max_rows."})
        return attrs


@job_task(
    kind="test_finetune_form",
    label="Test: fine-tune with a form",
    params_serializer=FineTuneFormParams,
)
def finetune_form_kind(ctx: JobContext) -> JobOutcome:
    return JobOutcome()


FORM_KIND = "test_finetune_form"
START = "admin:ml_job_add"


def test_choosing_a_kind_with_a_serializer_renders_its_fields_as_a_form(admin_client):
    response = admin_client.get(reverse(START), {"kind": FORM_KIND})

    body = response.content.decode()
    form = response.context["params_form"]
    assert list(form.fields) == [
        "dataset",
        "task",
        "max_rows",
        "batch_size",
        "learning_rate",
        "promote",
        "since",
    ]
    assert '<option value="test_finetune_form" selected>' in body
    assert '<select name="params-dataset"' in body
    assert '<option value="reviews" selected>Store reviews</option>' in body
    assert '<input type="text" name="params-task" value="sentiment" maxlength="64"' in body
    assert '<input type="number" name="params-max_rows" value="2000" min="10" max="100000"' in body
    assert 'name="params-learning_rate" value="5e-05" min="1e-06" max="1.0" step="any"' in body
    assert '<input type="checkbox" name="params-promote"' in body
    assert '<input type="date" name="params-since"' in body
    assert "Which labelled data to train on" in body
    assert "Only rows from this day on" in body
    assert '<input type="hidden" name="mode" value="form">' in body
    assert 'name="params"' not in body  # no JSON textarea


def test_kind_select_swaps_in_the_parameters_with_htmx(admin_client):
    page = admin_client.get(reverse(START)).content.decode()
    response = admin_client.get(reverse(START), {"kind": FORM_KIND}, headers={"HX-Request": "true"})

    body = response.content.decode()
    assert f'hx-get="{reverse(START)}"' in page
    assert 'hx-target="#job-params"' in page
    assert 'hx-push-url="true"' in page
    assert '<div id="job-params"' in body
    assert "<html" not in body
    assert '<select name="params-dataset"' in body
    assert "HX-Request" in response["Vary"]


def test_query_parameters_prefill_the_form(admin_client):
    response = admin_client.get(
        reverse(START),
        {"kind": FORM_KIND, "task": "ad_copy", "max_rows": "500", "promote": "true"},
    )

    body = response.content.decode()
    assert 'name="params-task" value="ad_copy"' in body
    assert 'name="params-max_rows" value="500"' in body
    assert 'id="id_params-promote" checked>' in body


def test_generated_form_queues_the_job_with_typed_parameters(
    admin_client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        response = admin_client.post(
            reverse(START),
            {
                "kind": FORM_KIND,
                "mode": "form",
                "params-dataset": "clothing",
                "params-task": "sentiment",
                "params-max_rows": "500",
                "params-batch_size": "32",
                "params-learning_rate": "0.001",
                "params-promote": "on",
                "params-since": "2024-05-01",
            },
        )

    job = Job.objects.get()
    assert response["Location"] == reverse("admin:ml_job_change", args=[job.pk])
    assert job.params == {
        "dataset": "clothing",
        "task": "sentiment",
        "max_rows": 500,
        "batch_size": 32,
        "learning_rate": 0.001,
        "promote": True,
        "since": "2024-05-01",
    }


def test_fields_left_empty_take_the_serializers_defaults(
    admin_client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        admin_client.post(reverse(START), {"kind": FORM_KIND, "mode": "form"})

    assert Job.objects.get().params == {
        "dataset": "reviews",
        "task": "sentiment",
        "max_rows": 2000,
        "batch_size": 16,
        "learning_rate": 5e-5,
        "promote": False,
    }


def test_bad_values_are_shown_on_their_fields(admin_client):
    response = admin_client.post(
        reverse(START),
        {
            "kind": FORM_KIND,
            "mode": "form",
            "params-dataset": "everything",
            "params-max_rows": "5",
            "params-learning_rate": "fast",
        },
    )

    errors = response.context["params_form"].errors
    assert errors == {
        "dataset": ["Select a valid choice. everything is not one of the available choices."],
        "max_rows": ["Ensure this value is greater than or equal to 10."],
        "learning_rate": ["Enter a number."],
    }
    body = response.content.decode()
    assert '<div class="form-row errors field-max_rows">' in body
    assert "Please correct the errors below." in body
    assert not Job.objects.exists()


def test_the_serializers_own_errors_are_shown_on_their_fields(admin_client):
    response = admin_client.post(
        reverse(START),
        {"kind": FORM_KIND, "mode": "form", "params-max_rows": "20", "params-batch_size": "64"},
    )

    assert response.context["params_form"].errors == {"batch_size": ["Must not exceed max_rows."]}
    body = response.content.decode()
    assert '<div class="form-row errors field-batch_size">' in body
    assert "Must not exceed max_rows." in body
    assert not Job.objects.exists()


def test_kind_without_a_serializer_takes_json(admin_client):
    response = admin_client.get(reverse(START), {"kind": "rating_aggregates"})

    body = response.content.decode()
    assert response.context["params_form"] is None
    assert '<textarea name="params"' in body
    assert '<input type="hidden" name="mode" value="json">' in body


def test_json_mode_stays_available_for_a_kind_with_a_serializer(
    admin_client, django_capture_on_commit_callbacks
):
    form_page = admin_client.get(reverse(START), {"kind": FORM_KIND}).content.decode()
    json_page = admin_client.get(reverse(START), {"kind": FORM_KIND, "mode": "json"})
    with django_capture_on_commit_callbacks(execute=False):
        admin_client.post(
            reverse(START), {"kind": FORM_KIND, "mode": "json", "params": '{"max_rows": 300}'}
        )

    assert f"?kind={FORM_KIND}&amp;mode=json" in form_page
    assert '<textarea name="params"' in json_page.content.decode()
    assert Job.objects.get().params["max_rows"] == 300


@pytest.mark.parametrize(
    ("drf_field", "form_class", "widget_input_type"),
    [
        (serializers.ChoiceField(choices=DATASETS), "ChoiceField", "select"),
        (serializers.IntegerField(min_value=1), "IntegerField", "number"),
        (serializers.FloatField(), "FloatField", "number"),
        (serializers.BooleanField(), "BooleanField", "checkbox"),
        (serializers.CharField(), "CharField", "text"),
        (serializers.DateField(), "DateField", "date"),
        (serializers.ListField(child=serializers.IntegerField()), "JSONField", None),
    ],
)
def test_drf_fields_become_matching_form_fields(drf_field, form_class, widget_input_type):
    drf_field.bind("name", serializers.Serializer())

    form_field = form_field_for(drf_field)

    assert type(form_field).__name__ == form_class
    assert getattr(form_field.widget, "input_type", None) == widget_input_type or (
        widget_input_type == "select" and form_field.widget.__class__.__name__ == "Select"
    )


def test_read_only_and_hidden_fields_get_no_input():
    read_only = serializers.CharField(read_only=True)
    hidden = serializers.HiddenField(default="x")

    assert form_field_for(read_only) is None
    assert form_field_for(hidden) is None


# --- Permissions ---------------------------------------------------------------------------


def test_support_agent_cannot_see_jobs(staff_client):
    client = staff_client("Support agents")
    job = _running()

    assert client.get(reverse(CHANGELIST)).status_code == 403
    assert client.get(reverse("admin:ml_job_progress", args=[job.pk])).status_code == 403
    assert client.get(reverse("admin:ml_job_change", args=[job.pk])).status_code == 403
    assert client.get(reverse("admin:ml_job_add")).status_code == 403


def test_data_scientist_can_cancel_a_job(staff_client):
    client = staff_client("Data scientists")
    job = _job()

    detail = client.get(reverse("admin:ml_job_change", args=[job.pk]))
    client.post(reverse("admin:ml_job_cancel", args=[job.pk]))

    assert "Cancel job" in detail.content.decode()
    job.refresh_from_db()
    assert job.status == Job.Status.CANCELLED


def test_store_staff_can_watch_and_start_jobs_but_not_cancel(
    staff_client, django_capture_on_commit_callbacks
):
    client = staff_client("Store staff")
    job = _job()

    detail = client.get(reverse("admin:ml_job_change", args=[job.pk]))
    cancel = client.post(reverse("admin:ml_job_cancel", args=[job.pk]))
    with django_capture_on_commit_callbacks(execute=False):
        start = client.post(
            reverse("admin:ml_job_add"), {"kind": "rating_aggregates", "params": "{}"}
        )

    assert detail.status_code == 200
    assert "Cancel job" not in detail.content.decode()
    assert cancel.status_code == 403
    job.refresh_from_db()
    assert job.status == Job.Status.QUEUED
    assert start.status_code == 302
    assert Job.objects.filter(created_by=client.user).count() == 1


def test_anonymous_user_is_sent_to_login(client):
    job = _job()

    response = client.get(reverse("admin:ml_job_progress", args=[job.pk]))

    assert response.status_code == 302
    assert reverse("admin:login") in response["Location"]
