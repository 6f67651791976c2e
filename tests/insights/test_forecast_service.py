"""The sales forecast recompute on a small store: what it reads, writes and replaces, and the
reorder suggestions computed from it."""

from datetime import timedelta

import pytest
from django.utils import timezone

from insights.models import SalesForecast, SalesForecastPoint, SalesForecastRun
from insights.selectors import forecasts as selectors
from insights.services.forecasts import sales_forecast_recompute
from tests.insights.forecast_fixtures import STEADY, WEEKS, build_sales_store

pytestmark = pytest.mark.django_db


@pytest.fixture
def store():
    return build_sales_store()


def test_sales_rows_count_sold_units_only(store):
    rows = selectors.sales_rows(as_of=timezone.localdate())
    steady = [units for product, _category, _day, units in rows if product == store["steady"].pk]
    assert steady == [STEADY] * WEEKS  # the cancelled 50 are not a sale


def test_recompute_forecasts_every_product_and_category_with_intervals(store):
    result = sales_forecast_recompute(horizon=4)

    run = result.run
    assert (result.products, result.categories) == (3, 2)
    assert run.series_count == 5 and run.horizon == 4 and run.frequency == "W"
    assert SalesForecastPoint.objects.count() == 5 * 4
    steady = SalesForecast.objects.get(product=store["steady"])
    assert steady.tier == "short"  # 30 weeks: no season to learn
    assert set(steady.cv_scaled_error) == {
        "Naive",
        "WindowAverage",
        "AutoETS",
        "CrostonOptimized",
        "Combination",
    }
    for point in steady.points.all():
        assert point.point == pytest.approx(STEADY, abs=0.5)
        assert point.lo95 <= point.lo80 <= point.point <= point.hi80 <= point.hi95
    new = SalesForecast.objects.get(product=store["new"])
    assert (new.tier, new.model) == ("minimal", "HistoricAverage")
    tops = SalesForecast.objects.get(category=store["tops"])
    assert tops.history[-2][1] == STEADY + 3  # steady and new in the week of the new sale
    assert "short" in run.notes


def test_a_second_run_replaces_the_forecasts_and_keeps_the_first_run(store):
    first = sales_forecast_recompute(horizon=4).run
    second = sales_forecast_recompute(horizon=2).run

    assert SalesForecastRun.objects.count() == 2
    assert not SalesForecast.objects.filter(run=first).exists()
    assert SalesForecast.objects.filter(run=second).count() == 5
    assert selectors.forecast_run_latest() == second


def test_nothing_sold_is_a_clear_error_and_writes_nothing():
    with pytest.raises(ValueError, match="history is empty"):
        sales_forecast_recompute()
    assert not SalesForecastRun.objects.exists()


def test_bad_horizon_is_refused_before_reading(store):
    with pytest.raises(ValueError, match="horizon"):
        sales_forecast_recompute(horizon=-1)
    assert not SalesForecastRun.objects.exists()


def test_as_of_an_earlier_day_ignores_later_sales(store):
    as_of = timezone.localdate() - timedelta(weeks=10)
    run = sales_forecast_recompute(as_of=as_of, horizon=2).run
    assert run.as_of == as_of
    assert not SalesForecast.objects.filter(product=store["new"]).exists()


def test_reorder_suggestions_put_the_short_product_first(store, settings):
    settings.INSIGHTS_DEFAULT_LEAD_TIME_DAYS = 14
    sales_forecast_recompute(horizon=4)

    rows = selectors.reorder_suggestion_list(service_level=0.95)
    by_product = {forecast.product_id: suggestion for forecast, suggestion in rows}
    steady = by_product[store["steady"].pk]
    assert rows[0][0].product_id == store["steady"].pk
    assert steady.lead_time_days == 14
    assert steady.lead_time_demand == pytest.approx(2 * STEADY, abs=1)
    assert steady.at_risk and steady.quantity > 0
    alternating = by_product[store["alternating"].pk]
    assert alternating.lead_time_days == 7  # from the product's attributes
    assert not alternating.at_risk and alternating.quantity == 0
    at_risk = selectors.reorder_suggestion_list(service_level=0.95, at_risk_only=True)
    assert store["alternating"].pk not in {forecast.product_id for forecast, _ in at_risk}


def test_inactive_products_get_no_suggestion(store):
    sales_forecast_recompute(horizon=4)
    store["steady"].is_active = False
    store["steady"].save()
    rows = selectors.reorder_suggestion_list()
    assert store["steady"].pk not in {forecast.product_id for forecast, _ in rows}


def test_forecasts_written_a_few_series_at_a_time_are_the_same(store, monkeypatch):
    def stored():
        return sorted(
            (f.kind, f.product_id, f.category_id, p.step, p.period, p.point, p.lo95, p.hi95)
            for f in SalesForecast.objects.all()
            for p in f.points.all()
        )

    sales_forecast_recompute(horizon=4)
    whole = stored()
    monkeypatch.setattr("insights.services.forecasts.SERIES_PER_WRITE", 2)  # 5 series: 3 writes
    sales_forecast_recompute(horizon=4)
    assert stored() == whole and len(whole) == 5 * 4
