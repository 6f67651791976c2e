"""The `sales_forecast` job on a real worker: it forecasts, records its run and progress, and
fails readably on bad input; the nightly beat entry submits it."""

from datetime import date

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from rest_framework.exceptions import ValidationError

from insights.models import SalesForecast, SalesForecastRun
from insights.services.forecasts import last_complete_day
from insights.tasks.forecasts import sales_forecast_nightly
from ml import services as ml_services
from ml.models import Job
from tests.insights.forecast_fixtures import build_sales_store


def finished(job_id: int) -> Job | None:
    job = Job.objects.get(pk=job_id)
    return job if job.is_finished else None


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_job_forecasts_every_series_and_records_its_run(celery_worker_thread, wait_for):
    build_sales_store()

    job = ml_services.job_submit(kind="sales_forecast", params={"horizon": 3})
    done = wait_for(lambda: finished(job.pk), timeout=120)

    assert done.status == Job.Status.SUCCEEDED, done.error
    assert done.progress == 100
    assert "Saving the forecasts" in done.log
    run = SalesForecastRun.objects.get()
    assert run.job_id == job.pk and run.horizon == 3
    assert done.result["run_id"] == run.pk
    assert (done.metrics["products"], done.metrics["categories"]) == (3, 2)
    assert SalesForecast.objects.filter(run=run).count() == 5


@pytest.mark.django_db
@pytest.mark.parametrize(
    "params", [{"frequency": "M"}, {"horizon": 0}, {"horizon": "soon"}, {"as_of": "yesterday"}]
)
def test_bad_parameters_are_refused_before_anything_is_queued(params):
    with pytest.raises(ValidationError):
        ml_services.job_submit(kind="sales_forecast", params=params)
    assert not Job.objects.exists()


@pytest.mark.django_db
def test_the_nightly_entry_submits_one_job():
    first = sales_forecast_nightly()
    second = sales_forecast_nightly()
    assert first == second
    assert Job.objects.get().kind == "sales_forecast"
    assert any(
        entry["task"] == "insights.sales_forecast_nightly"
        for entry in settings.CELERY_BEAT_SCHEDULE.values()
    )


@pytest.mark.django_db
def test_the_command_forecasts_in_process(capsys):
    build_sales_store()
    call_command("sales_forecast", "--horizon", "2")
    assert "3 products, 2 categories, 2 periods ahead" in capsys.readouterr().out
    assert SalesForecastRun.objects.get().horizon == 2


@pytest.mark.django_db
def test_the_command_on_an_empty_store_is_a_clear_error():
    with pytest.raises(CommandError, match="history is empty"):
        call_command("sales_forecast")


@pytest.mark.parametrize(
    "as_of, expected",
    [
        (date(2026, 11, 29), date(2026, 11, 29)),  # a Sunday ends its week
        (date(2026, 11, 30), date(2026, 11, 29)),  # Monday: the week has just begun
        (date(2026, 12, 5), date(2026, 11, 29)),  # Saturday
    ],
)
def test_a_week_in_progress_is_left_out(as_of, expected):
    assert last_complete_day(as_of, "W") == expected
    assert last_complete_day(as_of, "D") == as_of
