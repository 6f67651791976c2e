"""The model registry in the admin: index of tasks, a page per task (versions, metrics, chart,
aliases, history), promote and roll back with confirmation, and who may do what."""

import re

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from ml import job_kinds, services
from ml.job_kinds import JobKindSpec
from ml.models import AliasChange, Job, ModelAlias, ModelVersion
from ml.registry_display import data_rows, line_chart, metric_compare, metric_main, metrics_flatten
from ml.selectors import alias_get

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("artifact_store")]

TASK = "sentiment"


@pytest.fixture
def register(tiny_model_dir):
    """Register a version of the tiny model with the given test metrics."""

    def _register(task: str = TASK, metrics: dict | None = None, **fields) -> ModelVersion:
        return services.modelversion_register(
            task=task,
            source_dir=tiny_model_dir,
            base_model="tiny-bert",
            metrics=metrics if metrics is not None else {"test": {"macro_f1": 0.5}},
            data_summary=fields.pop("data_summary", {"rows": 120}),
            **fields,
        )

    return _register


def classifier_metrics(macro_f1: float, accuracy: float) -> dict:
    return {
        "validation": {"macro_f1": macro_f1 - 0.01, "accuracy": accuracy - 0.01},
        "test": {"macro_f1": macro_f1, "accuracy": accuracy},
    }


@pytest.fixture
def staff_client(django_user_model):
    """A client logged in as a staff user (not a superuser) in the given group."""

    def login(group_name: str) -> Client:
        user = django_user_model.objects.create_user(
            username=group_name.lower().replace(" ", "-"), password="pw", is_staff=True
        )
        user.groups.add(Group.objects.get(name=group_name))
        client = Client()
        client.force_login(user)
        client.user = user
        return client

    return login


@pytest.fixture
def finetune_kind(monkeypatch):
    """A stand-in for the fine-tuning kind, so the page can offer it."""
    spec = JobKindSpec(
        kind="finetune_classifier",
        label="Fine-tune a classifier",
        task_name="ml.job.test_count",
        queue="gpu",
    )
    monkeypatch.setitem(job_kinds._REGISTRY, spec.kind, spec)
    return spec


def task_url(task: str = TASK) -> str:
    return reverse("admin:ml_modelversion_task", args=[task])


def promote_url(version: ModelVersion, alias: str = "champion") -> str:
    return reverse("admin:ml_modelversion_promote", args=[version.pk, alias])


def rollback_url(task: str = TASK, alias: str = "champion") -> str:
    return reverse("admin:ml_modelversion_rollback", args=[task, alias])


def polyline_points(body: str) -> list[str]:
    match = re.search(r'<polyline[^>]*points="([^"]*)"', body)
    assert match, "no <polyline> in the page"
    return match.group(1).split()


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


# --- Index ---------------------------------------------------------------------------------


def test_registry_index_lists_each_task_with_its_champion(admin_client, register):
    champion = register(metrics=classifier_metrics(0.7, 0.8))
    register(metrics=classifier_metrics(0.6, 0.7))
    register(task="ad_copy", metrics={"perplexity_after": 12.5})
    services.alias_promote(version_id=champion.pk)

    response = admin_client.get(reverse("admin:ml_modelversion_registry"))

    body = response.content.decode()
    assert response.status_code == 200
    assert [row["task"] for row in response.context["tasks"]] == ["ad_copy", TASK]
    assert f'href="{task_url()}"' in body
    assert f'href="{task_url("ad_copy")}"' in body
    assert "2 (latest v2)" in body
    assert '<span class="alias-badge alias-badge--champion">v1</span>' in body
    assert "test.macro_f1 0.7000" in body


def test_version_changelist_shows_the_task_index_and_alias_badges(admin_client, register):
    version = register()
    services.alias_promote(version_id=version.pk, alias="challenger")

    response = admin_client.get(reverse("admin:ml_modelversion_changelist"))

    body = response.content.decode()
    assert response.status_code == 200
    assert f'href="{reverse("admin:ml_modelversion_registry")}">Registry by task<' in body
    assert f'<a href="{task_url()}">{TASK}</a>' in body
    assert '<span class="alias-badge alias-badge--challenger">challenger</span>' in body


def test_alias_list_of_the_admin_index_opens_the_registry(admin_client):
    response = admin_client.get(reverse("admin:ml_modelalias_changelist"))

    assert response.status_code == 302
    assert response["Location"] == reverse("admin:ml_modelversion_registry")


def test_versions_cannot_be_added_or_edited_in_the_admin(admin_client, register):
    version = register()

    detail = admin_client.get(reverse("admin:ml_modelversion_change", args=[version.pk]))

    assert admin_client.get(reverse("admin:ml_modelversion_add")).status_code == 403
    assert admin_client.get(reverse("admin:ml_modelalias_add")).status_code == 403
    assert detail.status_code == 200
    assert f'href="{task_url()}"' in detail.content.decode()
    assert 'name="_save"' not in detail.content.decode()


# --- Task page -----------------------------------------------------------------------------


def test_task_page_shows_versions_metrics_side_by_side_with_badges(admin_client, register):
    job = Job.objects.create(kind="finetune_classifier", status=Job.Status.SUCCEEDED)
    v1 = register(metrics=classifier_metrics(0.61, 0.70), training_job_id=job.pk)
    v2 = register(metrics=classifier_metrics(0.72, 0.78), data_summary={"rows": {"train": 80}})
    v3 = register(metrics=classifier_metrics(0.69, 0.80))
    services.alias_promote(version_id=v2.pk)
    services.alias_promote(version_id=v3.pk, alias="challenger")

    response = admin_client.get(task_url())

    body = response.content.decode()
    assert response.status_code == 200
    assert response.context["main_metric"] == "test.macro_f1"
    assert response.context["columns"] == ["test.macro_f1", "test.accuracy"]
    assert [row["version"] for row in response.context["rows"]] == [v3, v2, v1]
    assert [row["metrics"] for row in response.context["rows"]] == [
        ["0.6900", "0.8000"],
        ["0.7200", "0.7800"],
        ["0.6100", "0.7000"],
    ]
    aliases = [row["aliases"] for row in response.context["rows"]]
    assert aliases == [["challenger"], ["champion"], []]
    assert [row["data_rows"] for row in response.context["rows"]] == [120, 80, 120]
    assert '<span class="alias-badge alias-badge--champion">champion</span>' in body
    assert '<span class="alias-badge alias-badge--challenger">challenger</span>' in body
    assert f'href="{reverse("admin:ml_job_change", args=[job.pk])}">Job #{job.pk}<' in body
    assert f'<tr id="version-{v2.version}" class="registry-row--champion">' in body


def test_task_page_charts_the_main_metric_with_one_point_per_version(admin_client, register):
    versions = [register(metrics=classifier_metrics(f1, 0.8)) for f1 in (0.5, 0.7, 0.6, 0.65)]
    services.alias_promote(version_id=versions[1].pk)

    body = admin_client.get(task_url()).content.decode()

    points = polyline_points(body)
    assert len(points) == 4
    # Left to right by version; the best (highest) value is drawn highest (smallest y).
    xs = [float(point.split(",")[0]) for point in points]
    ys = [float(point.split(",")[1]) for point in points]
    assert xs == sorted(xs)
    assert min(ys) == ys[1]
    for number in (1, 2, 3, 4):
        assert f">v{number}" in body
    assert body.count("registry-chart__point--champion") == 1
    assert "v2: 0.7000 (champion)" in body
    assert "test.macro_f1 by version (higher is better)" in body


def test_chart_leaves_out_versions_without_the_main_metric(admin_client, register):
    register(metrics=classifier_metrics(0.5, 0.6))
    register(metrics={})
    register(metrics=classifier_metrics(0.6, 0.7))

    body = admin_client.get(task_url()).content.decode()

    assert len(polyline_points(body)) == 2


def test_generator_task_charts_perplexity_where_lower_is_better(admin_client, register):
    for after in (30.0, 21.5):
        register(
            task="ad_copy",
            metrics={
                "heldout_loss_before": 3.6,
                "heldout_loss_after": 3.1,
                "perplexity_before": 36.6,
                "perplexity_after": after,
            },
        )

    response = admin_client.get(task_url("ad_copy"))

    body = response.content.decode()
    assert response.context["main_metric"] == "perplexity_after"
    assert len(polyline_points(body)) == 2
    assert "perplexity_after by version (lower is better)" in body


def test_task_page_without_metrics_says_so(admin_client, register):
    register(metrics={})

    body = admin_client.get(task_url()).content.decode()

    assert "<polyline" not in body
    assert "No version of this task reports a metric yet." in body


def test_task_page_of_an_unknown_task_is_404(admin_client):
    assert admin_client.get(task_url("nothing")).status_code == 404


def test_task_page_shows_the_history_of_alias_moves(admin_client, admin_user, register):
    v1, v2 = register(), register()
    services.alias_promote(version_id=v1.pk, user=admin_user)
    services.alias_promote(version_id=v2.pk, user=admin_user)
    services.alias_rollback(task=TASK, user=admin_user)

    response = admin_client.get(task_url())

    history = response.context["history"]
    assert [(c.action, c.from_version, c.to_version) for c in history] == [
        ("rollback", v2, v1),
        ("promote", v1, v2),
        ("promote", None, v1),
    ]
    body = response.content.decode()
    assert "v2 → v1" in body
    assert "none → v1" in body
    assert body.count(f"<td>{admin_user.username}</td>") == 3


def test_task_page_query_count_does_not_grow_with_versions(
    admin_client, register, django_assert_max_num_queries
):
    services.alias_promote(version_id=register().pk)
    admin_client.get(task_url())
    with CaptureQueriesContext(connection) as one_version:
        admin_client.get(task_url())
    for _ in range(6):
        services.alias_promote(version_id=register().pk)

    with django_assert_max_num_queries(len(one_version)):
        response = admin_client.get(task_url())

    assert len(response.context["rows"]) == 7


def test_task_page_offers_fine_tuning_of_the_task(admin_client, register, finetune_kind):
    register()

    body = admin_client.get(task_url()).content.decode()

    expected = f"{reverse('admin:ml_job_add')}?kind=finetune_classifier&amp;task={TASK}"
    assert f'href="{expected}"' in body
    assert ">Fine-tune</a>" in body


def test_task_page_offers_no_fine_tuning_when_the_kind_is_missing(
    admin_client, register, monkeypatch
):
    monkeypatch.delitem(job_kinds._REGISTRY, "finetune_classifier", raising=False)
    register()

    body = admin_client.get(task_url()).content.decode()

    assert ">Fine-tune</a>" not in body


# --- Promote -------------------------------------------------------------------------------


def test_promote_confirmation_shows_metric_deltas_against_the_champion(admin_client, register):
    champion = register(metrics=classifier_metrics(0.60, 0.80))
    candidate = register(metrics=classifier_metrics(0.70, 0.75))
    services.alias_promote(version_id=champion.pk)

    response = admin_client.get(promote_url(candidate))

    body = response.content.decode()
    assert response.status_code == 200
    rows = {row["name"]: row for row in response.context["comparison"]}
    assert response.context["comparison"][0]["name"] == "test.macro_f1"  # the main metric first
    assert (rows["test.macro_f1"]["current"], rows["test.macro_f1"]["candidate"]) == (
        "0.6000",
        "0.7000",
    )
    assert (rows["test.macro_f1"]["delta"], rows["test.macro_f1"]["verdict"]) == (
        "+0.1000",
        "better",
    )
    assert (rows["test.accuracy"]["delta"], rows["test.accuracy"]["verdict"]) == (
        "-0.0500",
        "worse",
    )
    assert "Champion v1" in body
    assert "Candidate v2" in body
    assert '<tr class="delta--better registry-comparison__main">' in body
    assert '<tr class="delta--worse">' in body
    assert 'method="post"' in body
    assert "csrfmiddlewaretoken" in body
    assert alias_get(task=TASK).version == champion  # looking changes nothing


def test_lower_perplexity_is_a_better_delta(admin_client, register):
    champion = register(task="ad_copy", metrics={"perplexity_after": 30.0})
    candidate = register(task="ad_copy", metrics={"perplexity_after": 25.0})
    services.alias_promote(version_id=champion.pk)

    response = admin_client.get(promote_url(candidate))

    [row] = response.context["comparison"]
    assert (row["delta"], row["verdict"]) == ("-5.0000", "better")


def test_promote_confirmation_without_a_champion_lists_the_candidates_metrics(
    admin_client, register
):
    candidate = register(metrics=classifier_metrics(0.7, 0.75))

    response = admin_client.get(promote_url(candidate))

    assert response.status_code == 200
    assert "there is no champion yet" in response.content.decode()
    assert {row["verdict"] for row in response.context["comparison"]} == {"new"}


def test_promote_moves_the_champion_and_records_who_did_it(admin_client, admin_user, register):
    v1, v2 = register(), register()
    services.alias_promote(version_id=v1.pk)

    response = admin_client.post(promote_url(v2), follow=True)

    champion = alias_get(task=TASK)
    assert (champion.version, champion.previous_version, champion.updated_by) == (
        v2,
        v1,
        admin_user,
    )
    assert response.redirect_chain == [(task_url(), 302)]
    assert messages_of(response) == [f"{TASK} v2 is now the champion of {TASK}."]
    change = AliasChange.objects.first()
    assert (change.from_version, change.to_version, change.changed_by) == (v1, v2, admin_user)


def test_promote_to_challenger_leaves_the_champion(admin_client, register):
    v1, v2 = register(), register()
    services.alias_promote(version_id=v1.pk)

    admin_client.post(promote_url(v2, "challenger"))

    assert alias_get(task=TASK).version == v1
    assert alias_get(task=TASK, alias="challenger").version == v2


def test_tampered_artifact_is_not_promoted_and_the_error_is_shown(
    admin_client, register, artifact_store
):
    v1, v2 = register(), register()
    services.alias_promote(version_id=v1.pk)
    (artifact_store / v2.artifact_path / "config.json").write_text("{}")

    response = admin_client.post(promote_url(v2), follow=True)

    assert alias_get(task=TASK).version == v1
    assert AliasChange.objects.count() == 1
    [message] = response.context["messages"]
    assert message.level_tag == "error"
    assert str(message).startswith(f"{TASK} v2 was not promoted to champion: Artifact of")
    assert "failed verification" in str(message)


def test_promote_needs_post_with_a_csrf_token(admin_user, register):
    version = register()
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin_user)

    response = client.post(promote_url(version))

    assert response.status_code == 403
    assert not ModelAlias.objects.exists()


@pytest.mark.parametrize("alias", ["king", "CHAMPION"])
def test_unknown_alias_is_404(admin_client, register, alias):
    version = register()

    assert admin_client.post(promote_url(version, alias)).status_code == 404
    assert admin_client.get(rollback_url(alias=alias)).status_code == 404
    assert not ModelAlias.objects.exists()


def test_promote_of_a_missing_version_is_404(admin_client):
    response = admin_client.get(reverse("admin:ml_modelversion_promote", args=[999, "champion"]))

    assert response.status_code == 404


# --- Roll back -----------------------------------------------------------------------------


def test_rollback_confirmation_says_what_the_alias_goes_back_to(admin_client, register):
    v1 = register(metrics=classifier_metrics(0.6, 0.7))
    v2 = register(metrics=classifier_metrics(0.5, 0.7))
    services.alias_promote(version_id=v1.pk)
    services.alias_promote(version_id=v2.pk)

    response = admin_client.get(rollback_url())

    body = response.content.decode()
    assert response.status_code == 200
    assert "Yes, roll back to v1" in body
    assert "Now v2" in body
    assert "Back to v1" in body
    main = response.context["comparison"][0]
    assert (main["name"], main["delta"], main["verdict"]) == ("test.macro_f1", "+0.1000", "better")
    assert alias_get(task=TASK).version == v2


def test_rollback_returns_the_champion_to_the_previous_version(admin_client, register):
    v1, v2 = register(), register()
    services.alias_promote(version_id=v1.pk)
    services.alias_promote(version_id=v2.pk)

    response = admin_client.post(rollback_url(), follow=True)

    champion = alias_get(task=TASK)
    assert (champion.version, champion.previous_version) == (v1, v2)
    assert messages_of(response) == [f"The champion of {TASK} is back on v1 (it was v2)."]
    assert AliasChange.objects.first().action == AliasChange.Action.ROLLBACK


def test_rollback_without_an_earlier_version_shows_an_error(admin_client, register):
    version = register()
    services.alias_promote(version_id=version.pk)

    page = admin_client.get(rollback_url(), follow=True)
    response = admin_client.post(rollback_url(), follow=True)

    assert messages_of(page) == [
        f"Nothing to roll back: the champion of {TASK} has no earlier version to return to."
    ]
    [message] = response.context["messages"]
    assert message.level_tag == "error"
    assert "has no earlier version to return to" in str(message)
    assert alias_get(task=TASK).version == version
    assert AliasChange.objects.count() == 1


def test_rollback_of_an_unset_alias_shows_an_error(admin_client, register):
    register()

    response = admin_client.post(rollback_url(alias="challenger"), follow=True)

    assert messages_of(response) == [
        f"Nothing was rolled back: No challenger is set for task '{TASK}'."
    ]


def test_task_page_offers_rollback_only_when_there_is_an_earlier_version(admin_client, register):
    v1, v2 = register(), register()
    services.alias_promote(version_id=v1.pk)
    before = admin_client.get(task_url()).content.decode()
    services.alias_promote(version_id=v2.pk)

    after = admin_client.get(task_url()).content.decode()

    assert "Roll back to" not in before
    assert f'href="{rollback_url()}">Roll back to v1<' in after


# --- Permissions ---------------------------------------------------------------------------


def test_store_staff_can_look_but_not_promote_or_roll_back(staff_client, register):
    client = staff_client("Store staff")
    v1, v2 = register(), register()
    services.alias_promote(version_id=v1.pk)
    services.alias_promote(version_id=v2.pk)

    page = client.get(task_url())

    assert page.status_code == 200
    body = page.content.decode()
    assert "registry-promote" not in body
    assert "Roll back to" not in body
    assert client.get(reverse("admin:ml_modelversion_registry")).status_code == 200
    assert client.get(promote_url(v1)).status_code == 403
    assert client.post(promote_url(v1)).status_code == 403
    assert client.get(rollback_url()).status_code == 403
    assert client.post(rollback_url()).status_code == 403
    assert alias_get(task=TASK).version == v2


def test_data_scientist_can_promote_and_roll_back(staff_client, register):
    client = staff_client("Data scientists")
    v1, v2 = register(), register()

    page = client.get(task_url())
    client.post(promote_url(v1))
    client.post(promote_url(v2))
    client.post(rollback_url())

    assert f'href="{promote_url(v1)}"' in page.content.decode()
    champion = alias_get(task=TASK)
    assert (champion.version, champion.updated_by) == (v1, client.user)


def test_support_agents_do_not_see_the_registry(staff_client, register):
    client = staff_client("Support agents")
    register()

    assert client.get(reverse("admin:ml_modelversion_registry")).status_code == 403
    assert client.get(task_url()).status_code == 403


def test_alias_history_is_read_only_for_those_who_see_aliases(staff_client, register):
    client = staff_client("Data scientists")
    services.alias_promote(version_id=register().pk)

    response = client.get(reverse("admin:ml_aliaschange_changelist"))

    assert response.status_code == 200
    assert response.context["cl"].result_count == 1
    assert client.get(reverse("admin:ml_aliaschange_add")).status_code == 403
    change = AliasChange.objects.get()
    delete = client.post(reverse("admin:ml_aliaschange_delete", args=[change.pk]), {"post": "yes"})
    assert delete.status_code == 403


# --- How versions are compared (pure functions behind the pages) -----------------------------


@pytest.mark.parametrize(
    ("metrics", "main"),
    [
        ([{"test.accuracy": 0.9, "test.macro_f1": 0.8}], "test.macro_f1"),
        ([{"test.accuracy": 0.9}, {"validation.macro_f1": 0.8}], "test.accuracy"),
        ([{"perplexity_before": 30.0, "perplexity_after": 20.0}], "perplexity_after"),
        ([{"recall": 0.5}, {"recall": 0.6, "auc": 0.7}], "recall"),
        ([{}], None),
    ],
)
def test_main_metric_is_the_first_preferred_one_reported(metrics, main):
    assert metric_main(metrics) == main


def test_metrics_are_flattened_to_dotted_numbers():
    flat = metrics_flatten(
        {"test": {"accuracy": 0.9, "report": "text", "nan": float("nan")}, "ok": True, "n": 3}
    )

    assert flat == {"test.accuracy": 0.9, "n": 3.0}


def test_comparison_knows_which_direction_is_better():
    rows = metric_compare(
        {"test.macro_f1": 0.6, "perplexity_after": 30.0, "loss": 1.0, "old": 1.0},
        {"test.macro_f1": 0.7, "perplexity_after": 31.0, "loss": 1.0, "new": 2.0},
    )

    assert [(row.name, row.verdict) for row in rows] == [
        ("loss", "same"),
        ("new", "new"),
        ("old", "gone"),
        ("perplexity_after", "worse"),
        ("test.macro_f1", "better"),
    ]
    assert rows[-1].delta == pytest.approx(0.1)


def test_line_chart_places_points_left_to_right_inside_the_plot():
    chart = line_chart([("v1", 0.5, False), ("v2", 0.7, True), ("v3", 0.6, False)])

    xs = [point.x for point in chart.points]
    ys = [point.y for point in chart.points]
    assert xs == sorted(xs)
    assert chart.left < xs[0] and xs[-1] < chart.right
    assert all(chart.top <= y <= chart.bottom for y in ys)
    assert ys[1] == min(ys)  # the highest value is drawn highest
    assert [point.highlight for point in chart.points] == [False, True, False]
    assert len(chart.points_attr.split()) == 3
    assert line_chart([]) is None


@pytest.mark.parametrize(
    ("summary", "rows"),
    [
        ({"rows": 120}, 120),
        ({"rows": {"train": 80, "test": 20}}, 100),
        ({"train_rows": 800, "validation_rows": 100, "test_rows": 100}, 1000),
        ({"dataset": "reviews"}, None),
        ({}, None),
    ],
)
def test_data_rows_are_read_from_the_data_summary(summary, rows):
    assert data_rows(summary) == rows
