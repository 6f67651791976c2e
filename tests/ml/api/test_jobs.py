import pytest
from django.utils import timezone

from ml.models import Job
from tests.factories.api import JobFactory, StaffFactory, grant, token_client

pytestmark = pytest.mark.django_db

URL = "/api/v1/jobs/"


def ids(response) -> list[int]:
    return [job["id"] for job in response.json()["results"]]


# --- Listing ------------------------------------------------------------------------------


def test_staff_list_jobs_newest_first(staff_client):
    first = JobFactory()
    second = JobFactory()

    response = staff_client.get(URL)

    assert response.status_code == 200
    assert ids(response) == [second.pk, first.pk]


def test_job_is_listed_with_its_state(staff_client, staff_user):
    job = JobFactory(
        kind="rating_aggregates", progress=40, progress_message="Half", created_by=staff_user
    )

    response = staff_client.get(URL)

    assert response.json()["results"] == [
        {
            "id": job.pk,
            "kind": "rating_aggregates",
            "queue": "default",
            "status": "queued",
            "progress": 40,
            "progress_message": "Half",
            "cancel_requested": False,
            "attempts": 0,
            "model_version": None,
            "created_by": staff_user.username,
            "created_at": job.created_at.isoformat().replace("+00:00", "Z"),
            "started_at": None,
            "finished_at": None,
            "duration_seconds": None,
        }
    ]


def test_jobs_are_filtered_by_status(staff_client):
    JobFactory(status=Job.Status.QUEUED)
    failed = JobFactory(status=Job.Status.FAILED)

    response = staff_client.get(URL, {"status": "failed"})

    assert ids(response) == [failed.pk]


def test_jobs_are_filtered_by_kind(staff_client):
    JobFactory(kind="rating_aggregates")
    other = JobFactory(kind="test_count")

    response = staff_client.get(URL, {"kind": "test_count"})

    assert ids(response) == [other.pk]


def test_unknown_status_filter_is_a_field_error(staff_client):
    response = staff_client.get(URL, {"status": "lost"})

    assert response.status_code == 400
    assert response.json() == {"status": ['"lost" is not a valid choice.']}


@pytest.mark.parametrize("rows", [1, 10])
def test_list_runs_a_fixed_number_of_queries(
    staff_client, staff_user, django_assert_num_queries, rows
):
    for _ in range(rows):
        JobFactory(created_by=staff_user)

    # The session, its user, the count and the page (creator joined in).
    # + 2: the user's and their groups' permissions, checked by the view.
    with django_assert_num_queries(6):
        response = staff_client.get(URL)

    assert len(response.json()["results"]) == rows


# --- Detail ---------------------------------------------------------------------------------


def test_staff_get_a_job_with_its_log_and_error(staff_client):
    job = JobFactory(
        status=Job.Status.FAILED,
        params={"limit": 3},
        error="ValueError: boom",
        traceback="Traceback ...",
        log="[10:00:00] Started\n",
    )

    response = staff_client.get(f"{URL}{job.pk}/")

    assert response.status_code == 200
    body = response.json()
    assert (body["params"], body["error"], body["traceback"], body["log"]) == (
        {"limit": 3},
        "ValueError: boom",
        "Traceback ...",
        "[10:00:00] Started\n",
    )


def test_missing_job_is_404(staff_client):
    response = staff_client.get(f"{URL}999999/")

    assert response.status_code == 404


# --- Submitting -----------------------------------------------------------------------------


def test_staff_submit_a_job_that_is_queued_for_a_worker(
    staff_client, staff_user, django_capture_on_commit_callbacks
):
    # When staff submit a job (the Celery message is sent only after commit, never here)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = staff_client.post(URL, {"kind": "rating_aggregates"})

    # Then a queued job records who started it, and its enqueue waits for the commit
    assert response.status_code == 201
    job = Job.objects.get()
    assert (job.kind, job.status, job.created_by) == ("rating_aggregates", "queued", staff_user)
    assert response.json()["id"] == job.pk
    assert len(callbacks) == 1


def test_submitted_parameters_are_validated_by_the_kind(staff_client):
    response = staff_client.post(URL, {"kind": "test_api_params", "params": {"limit": 7}})

    assert response.status_code == 201
    assert Job.objects.get().params == {"limit": 7}


def test_unknown_kind_is_a_field_error_and_nothing_is_saved(staff_client):
    response = staff_client.post(URL, {"kind": "teleport"})

    assert response.status_code == 400
    assert response.json() == {"kind": ["Unknown job kind 'teleport'."], "code": "unknown_job_kind"}
    assert Job.objects.count() == 0


def test_bad_parameters_are_field_errors_under_params(staff_client):
    response = staff_client.post(URL, {"kind": "test_api_params", "params": {"limit": 0}})

    assert response.status_code == 400
    assert response.json() == {
        "params": {"limit": ["Ensure this value is greater than or equal to 1."]}
    }
    assert Job.objects.count() == 0


def test_missing_kind_is_a_field_error(staff_client):
    response = staff_client.post(URL, {"params": {}})

    assert response.status_code == 400
    assert response.json() == {"kind": ["This field is required."]}


def test_params_that_are_not_an_object_are_a_field_error(staff_client):
    response = staff_client.post(URL, {"kind": "rating_aggregates", "params": [1, 2]})

    assert response.status_code == 400
    assert response.json() == {"params": ['Expected a dictionary of items but got type "list".']}


# --- Cancelling -----------------------------------------------------------------------------


def test_staff_cancel_a_queued_job(staff_client):
    job = JobFactory(status=Job.Status.QUEUED)

    response = staff_client.post(f"{URL}{job.pk}/cancel/")

    assert response.status_code == 200
    assert response.json()["status"] == "cancelled"
    job.refresh_from_db()
    assert (job.status, job.cancel_requested) == ("cancelled", True)


def test_cancelling_a_running_job_asks_it_to_stop(staff_client):
    job = JobFactory(status=Job.Status.RUNNING, started_at=timezone.now())

    response = staff_client.post(f"{URL}{job.pk}/cancel/")

    assert response.status_code == 200
    assert (response.json()["status"], response.json()["cancel_requested"]) == ("running", True)


def test_finished_job_cannot_be_cancelled(staff_client):
    job = JobFactory(status=Job.Status.SUCCEEDED, finished_at=timezone.now())

    response = staff_client.post(f"{URL}{job.pk}/cancel/")

    assert response.status_code == 409
    assert response.json() == {
        "detail": f"Job {job.pk} has already succeeded.",
        "code": "job_not_cancellable",
    }


def test_cancelling_a_missing_job_is_404(staff_client):
    response = staff_client.post(f"{URL}999999/cancel/")

    assert response.status_code == 404


# --- Job kinds ------------------------------------------------------------------------------


def test_staff_list_the_kinds_they_can_submit(staff_client):
    response = staff_client.get("/api/v1/job-kinds/")

    assert response.status_code == 200
    assert {
        "kind": "rating_aggregates",
        "label": "Recompute product rating aggregates",
        "queue": "default",
        "description": "Recounts each product's reviews and average rating.",
    } in response.json()


# --- Who may call ---------------------------------------------------------------------------


def test_staff_token_lists_jobs():
    response = token_client(grant(StaffFactory(), "ml.view_job")).get(URL)

    assert response.status_code == 200


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", URL),
        ("post", URL),
        ("get", f"{URL}1/"),
        ("post", f"{URL}1/cancel/"),
        ("get", "/api/v1/job-kinds/"),
    ],
)
def test_anonymous_caller_is_unauthenticated(anonymous_client, method, path):
    response = getattr(anonymous_client, method)(path, {"kind": "rating_aggregates"})

    assert response.status_code == 401


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", URL),
        ("post", URL),
        ("get", f"{URL}{{id}}/"),
        ("post", f"{URL}{{id}}/cancel/"),
        ("get", "/api/v1/job-kinds/"),
    ],
)
def test_caller_who_is_not_staff_is_forbidden(non_staff_client, method, path):
    # Given a queued job
    job = JobFactory()

    # When someone who is not staff calls the endpoint
    response = getattr(non_staff_client, method)(
        path.format(id=job.pk), {"kind": "rating_aggregates"}
    )

    # Then they are refused and the job is untouched
    assert response.status_code == 403
    assert Job.objects.get() == job
    job.refresh_from_db()
    assert (job.status, job.cancel_requested) == ("queued", False)
