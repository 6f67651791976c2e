"""The model registry API: list and inspect versions, see a task's aliases, promote and roll
back; staff only, and moving an alias needs ml.change_modelalias."""

import pytest
from django.contrib.auth.models import Group

from ml import services
from ml.models import AliasChange, ModelAlias, ModelVersion
from ml.selectors import alias_get
from tests.factories.api import JobFactory, StaffFactory, grant, session_client, token_client

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("artifact_store")]

URL = "/api/v1/models/"
TASK = "sentiment"


@pytest.fixture
def register(tiny_model_dir):
    def _register(task: str = TASK, f1: float = 0.5, **fields) -> ModelVersion:
        return services.modelversion_register(
            task=task,
            source_dir=tiny_model_dir,
            base_model="tiny-bert",
            metrics={"test": {"macro_f1": f1}},
            data_summary={"rows": 10},
            hyperparameters={"lr": 0.001},
            **fields,
        )

    return _register


def bare_version(task: str = TASK, version: int = 1, **fields) -> ModelVersion:
    """A version row without stored files, for tests that only read."""
    return ModelVersion.objects.create(
        task=task,
        version=version,
        base_model="tiny-bert",
        artifact_path=f"{task}/v{version}",
        sha256="0" * 64,
        **fields,
    )


def group_user(group_name: str):
    user = StaffFactory()
    user.groups.add(Group.objects.get(name=group_name))
    return user


@pytest.fixture
def data_scientist():
    return group_user("Data scientists")


@pytest.fixture
def scientist_client(data_scientist):
    return token_client(data_scientist)


def promote(client, version: ModelVersion | int, alias: str = "champion"):
    pk = version.pk if isinstance(version, ModelVersion) else version
    return client.post(f"{URL}{pk}/promote/", {"alias": alias})


def rollback(client, task: str = TASK, alias: str = "champion"):
    return client.post(f"{URL}tasks/{task}/rollback/", {"alias": alias})


def iso(moment) -> str:
    return moment.isoformat().replace("+00:00", "Z")


# --- Listing --------------------------------------------------------------------------------


def test_staff_list_versions_with_metrics_and_aliases(staff_client):
    job = JobFactory()
    version = bare_version(
        training_job=job,
        data_summary={"rows": 10},
        hyperparameters={"lr": 0.001},
        metrics={"test": {"macro_f1": 0.7}},
    )
    ModelAlias.objects.create(task=TASK, name="champion", version=version)

    response = staff_client.get(URL)

    assert response.status_code == 200
    assert response.json()["results"] == [
        {
            "id": version.pk,
            "task": TASK,
            "version": 1,
            "base_model": "tiny-bert",
            "sha256": "0" * 64,
            "training_job": job.pk,
            "data_summary": {"rows": 10},
            "hyperparameters": {"lr": 0.001},
            "metrics": {"test": {"macro_f1": 0.7}},
            "aliases": ["champion"],
            "created_at": iso(version.created_at),
        }
    ]


def test_versions_are_listed_by_task_then_newest_first(staff_client):
    first, second = bare_version(version=1), bare_version(version=2)
    other = bare_version(task="ad_copy", version=1)

    response = staff_client.get(URL)

    assert [row["id"] for row in response.json()["results"]] == [other.pk, second.pk, first.pk]


def test_versions_are_filtered_by_task(staff_client):
    bare_version(task="ad_copy")
    wanted = bare_version()

    response = staff_client.get(URL, {"task": TASK})

    assert [row["id"] for row in response.json()["results"]] == [wanted.pk]


def test_too_long_task_filter_is_a_field_error(staff_client):
    response = staff_client.get(URL, {"task": "x" * 65})

    assert response.status_code == 400
    assert response.json() == {"task": ["Ensure this field has no more than 64 characters."]}


@pytest.mark.parametrize("rows", [1, 10])
def test_list_runs_a_fixed_number_of_queries(staff_client, django_assert_num_queries, rows):
    for number in range(1, rows + 1):
        version = bare_version(version=number, training_job=JobFactory())
        ModelAlias.objects.update_or_create(
            task=TASK, name="champion", defaults={"version": version}
        )

    # The session, its user, the count, the page (training job joined), the aliases.
    # + 2: the user's and their groups' permissions, checked by the view.
    with django_assert_num_queries(7):
        response = staff_client.get(URL)

    assert len(response.json()["results"]) == rows


# --- Detail ---------------------------------------------------------------------------------


def test_staff_get_one_version(staff_client):
    version = bare_version(metrics={"perplexity_after": 21.5})

    response = staff_client.get(f"{URL}{version.pk}/")

    assert response.status_code == 200
    assert (response.json()["id"], response.json()["metrics"]) == (
        version.pk,
        {"perplexity_after": 21.5},
    )


def test_missing_version_is_404(staff_client):
    assert staff_client.get(f"{URL}999999/").status_code == 404


# --- Aliases of a task ----------------------------------------------------------------------


def test_task_aliases_show_champion_and_unset_challenger(staff_client, staff_user):
    v1, v2 = bare_version(version=1), bare_version(version=2)
    champion = ModelAlias.objects.create(
        task=TASK, name="champion", version=v2, previous_version=v1, updated_by=staff_user
    )

    response = staff_client.get(f"{URL}tasks/{TASK}/aliases/")

    assert response.status_code == 200
    assert response.json() == {
        "task": TASK,
        "champion": {
            "task": TASK,
            "alias": "champion",
            "version": {
                "id": v2.pk,
                "task": TASK,
                "version": 2,
                "base_model": "tiny-bert",
                "training_job": None,
                "metrics": {},
                "created_at": iso(v2.created_at),
            },
            "previous_version": v1.pk,
            "updated_by": staff_user.username,
            "updated_at": iso(champion.updated_at),
        },
        "challenger": None,
    }


def test_task_with_versions_but_no_aliases_has_none_set(staff_client):
    bare_version()

    response = staff_client.get(f"{URL}tasks/{TASK}/aliases/")

    assert response.json() == {"task": TASK, "champion": None, "challenger": None}


def test_aliases_of_an_unknown_task_are_404(staff_client):
    response = staff_client.get(f"{URL}tasks/nothing/aliases/")

    assert response.status_code == 404
    assert response.json() == {"detail": "No model versions for task 'nothing'."}


# --- Promote --------------------------------------------------------------------------------


def test_data_scientist_promotes_a_version_to_champion(scientist_client, data_scientist, register):
    v1, v2 = register(f1=0.5), register(f1=0.6)
    services.alias_promote(version_id=v1.pk)

    response = promote(scientist_client, v2)

    assert response.status_code == 200
    body = response.json()
    assert (body["alias"], body["version"]["id"], body["previous_version"]) == (
        "champion",
        v2.pk,
        v1.pk,
    )
    assert body["updated_by"] == data_scientist.username
    assert alias_get(task=TASK).version == v2
    change = AliasChange.objects.first()
    assert (change.action, change.from_version, change.to_version, change.changed_by) == (
        "promote",
        v1,
        v2,
        data_scientist,
    )


def test_promote_to_challenger_leaves_the_champion(scientist_client, register):
    v1, v2 = register(), register()
    services.alias_promote(version_id=v1.pk)

    response = promote(scientist_client, v2, "challenger")

    assert response.status_code == 200
    assert alias_get(task=TASK).version == v1
    assert alias_get(task=TASK, alias="challenger").version == v2


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        ({"alias": "king"}, {"alias": ['"king" is not a valid choice.']}),
        ({}, {"alias": ["This field is required."]}),
    ],
)
def test_bad_alias_is_a_field_error(scientist_client, register, body, errors):
    version = register()

    response = scientist_client.post(f"{URL}{version.pk}/promote/", body)

    assert response.status_code == 400
    assert response.json() == errors
    assert not ModelAlias.objects.exists()


def test_promoting_a_missing_version_is_404(scientist_client):
    response = promote(scientist_client, 999999)

    assert response.status_code == 404
    assert response.json() == {
        "detail": "Model version 999999 does not exist.",
        "code": "model_version_not_found",
    }


def test_tampered_artifact_is_refused_and_nothing_changes(
    scientist_client, register, artifact_store
):
    v1, v2 = register(), register()
    services.alias_promote(version_id=v1.pk)
    (artifact_store / v2.artifact_path / "config.json").write_text("{}")

    response = promote(scientist_client, v2)

    assert response.status_code == 400
    assert response.json()["code"] == "artifact_integrity"
    assert "failed verification" in response.json()["detail"]
    assert alias_get(task=TASK).version == v1
    assert AliasChange.objects.count() == 1


# --- Roll back ------------------------------------------------------------------------------


def test_data_scientist_rolls_back_the_champion(scientist_client, register):
    v1, v2 = register(), register()
    services.alias_promote(version_id=v1.pk)
    services.alias_promote(version_id=v2.pk)

    response = rollback(scientist_client)

    assert response.status_code == 200
    assert (response.json()["version"]["id"], response.json()["previous_version"]) == (
        v1.pk,
        v2.pk,
    )
    assert alias_get(task=TASK).version == v1
    assert AliasChange.objects.first().action == "rollback"


def test_rollback_without_an_earlier_version_is_a_conflict(scientist_client, register):
    version = register()
    services.alias_promote(version_id=version.pk)

    response = rollback(scientist_client)

    assert response.status_code == 409
    assert response.json() == {
        "detail": f"The champion of '{TASK}' has no earlier version to return to.",
        "code": "rollback_unavailable",
    }
    assert alias_get(task=TASK).version == version


def test_rollback_of_an_unset_alias_is_404(scientist_client, register):
    register()

    response = rollback(scientist_client, alias="challenger")

    assert response.status_code == 404
    assert response.json() == {
        "detail": f"No challenger is set for task '{TASK}'.",
        "code": "alias_not_set",
    }


def test_rollback_with_a_bad_alias_is_a_field_error(scientist_client):
    response = rollback(scientist_client, alias="king")

    assert response.status_code == 400
    assert response.json() == {"alias": ['"king" is not a valid choice.']}


# --- Who may call ---------------------------------------------------------------------------


@pytest.mark.parametrize("group_name", [None, "Store staff"])
def test_staff_without_the_alias_permission_cannot_promote_or_roll_back(register, group_name):
    user = group_user(group_name) if group_name else grant(StaffFactory(), "ml.view_modelversion")
    client = session_client(user)
    v1, v2 = register(), register()
    services.alias_promote(version_id=v1.pk)
    services.alias_promote(version_id=v2.pk)

    promoted = promote(client, v1, "challenger")
    rolled_back = rollback(client)

    assert (promoted.status_code, rolled_back.status_code) == (403, 403)
    assert promoted.json() == {
        "detail": "Promoting and rolling back models needs the ml.change_modelalias permission."
    }
    assert alias_get(task=TASK).version == v2
    assert alias_get(task=TASK, alias="challenger") is None
    # Looking is still allowed.
    assert client.get(URL).status_code == 200
    assert client.get(f"{URL}tasks/{TASK}/aliases/").status_code == 200


def test_superuser_staff_may_promote(register):
    client = token_client(StaffFactory(is_superuser=True))

    assert promote(client, register()).status_code == 200


ENDPOINTS = [
    ("get", URL),
    ("get", f"{URL}{{id}}/"),
    ("get", f"{URL}tasks/{TASK}/aliases/"),
    ("post", f"{URL}{{id}}/promote/"),
    ("post", f"{URL}tasks/{TASK}/rollback/"),
]


@pytest.mark.parametrize(("method", "path"), ENDPOINTS)
def test_anonymous_caller_is_unauthenticated(anonymous_client, method, path):
    version = bare_version()

    response = getattr(anonymous_client, method)(path.format(id=version.pk), {"alias": "champion"})

    assert response.status_code == 401
    assert not ModelAlias.objects.exists()


@pytest.mark.parametrize(("method", "path"), ENDPOINTS)
def test_caller_who_is_not_staff_is_forbidden(non_staff_client, method, path):
    version = bare_version()

    response = getattr(non_staff_client, method)(path.format(id=version.pk), {"alias": "champion"})

    assert response.status_code == 403
    assert response.json() == {"detail": "Only staff may use the ML API."}
    assert not ModelAlias.objects.exists()
