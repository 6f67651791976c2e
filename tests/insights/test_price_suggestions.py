"""Price suggestions: the recompute on a store with a planted elasticity, the guard rails, the
products it skips and why, and approving or rejecting (only a person changes a price)."""

from datetime import datetime, time, timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.management import CommandError, call_command
from django.db import IntegrityError
from django.utils import timezone

from audit.models import AuditEntry
from insights.exceptions import PriceSuggestionNotFound, PriceSuggestionNotOpen
from insights.forecast_engine.pricing import Z95
from insights.models import PriceSuggestion
from insights.services import pricing as services
from insights.services.forecasts import last_complete_day
from shop.exceptions import ProductPriceChanged
from shop.models import Order, Product
from tests.factories.api import StaffFactory
from tests.factories.shop import OrderFactory, OrderItemFactory
from tests.insights.forecast_fixtures import placed
from tests.insights.pricing_fixtures import (
    ELASTIC,
    INELASTIC,
    PRICE,
    build_price_store,
    open_suggestion,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def store() -> dict:
    return build_price_store()


def proposal(product) -> PriceSuggestion:
    return PriceSuggestion.objects.get(product=product, status=PriceSuggestion.Status.PROPOSED)


# --- recompute -----------------------------------------------------------------------------


def test_the_planted_elasticity_is_recovered_within_its_interval(store):
    services.price_suggestions_recompute()

    varied = proposal(store["varied"])
    low, high = (
        varied.elasticity - Z95 * varied.elasticity_se,
        varied.elasticity + Z95 * varied.elasticity_se,
    )
    assert low <= ELASTIC <= high
    assert abs(varied.elasticity - ELASTIC) < 0.25
    assert high - low < 0.6  # informative, not an interval that contains everything
    assert varied.scope == PriceSuggestion.Scope.PRODUCT
    assert (varied.observations, varied.products_pooled) == (30, 1)
    inelastic = proposal(store["inelastic"])
    assert inelastic.elasticity - Z95 * inelastic.elasticity_se <= INELASTIC
    assert INELASTIC <= inelastic.elasticity + Z95 * inelastic.elasticity_se


def test_elastic_demand_raises_the_price_by_at_most_the_maximum_change(store, settings):
    settings.INSIGHTS_PRICE_MAX_CHANGE = 0.1

    services.price_suggestions_recompute()

    # Profit-maximising under e = -2 and cost 15 is 30.00: the proposal stops at +10%.
    varied = proposal(store["varied"])
    assert (varied.current_price, varied.suggested_price, varied.unit_cost) == (
        PRICE,
        Decimal("22.00"),
        Decimal("15.00"),
    )
    assert "limited to a 10% change" in varied.reason
    # Fewer units, more profit; the ranges hold the expected values.
    assert varied.quantity_ratio_low <= varied.quantity_ratio <= varied.quantity_ratio_high < 1
    assert varied.profit_ratio_low <= varied.profit_ratio <= varied.profit_ratio_high
    assert varied.profit_ratio > 1 and varied.profit_change_per_week > 0
    assert varied.quantity_ratio == pytest.approx(1.1**varied.elasticity)
    assert varied.revenue_ratio == pytest.approx(1.1 ** (1 + varied.elasticity))


def test_a_product_without_price_changes_borrows_its_categorys_elasticity(store):
    services.price_suggestions_recompute()

    steady = proposal(store["steady"])
    assert steady.scope == PriceSuggestion.Scope.CATEGORY
    assert steady.scope_category == store["steady"].category
    assert steady.products_pooled == 2  # varied and uncosted; steady itself never moved
    assert abs(steady.elasticity - ELASTIC) < 0.25
    # Profit-maximising at cost 8 is 16.00: the cut stops at -10%.
    assert steady.suggested_price == Decimal("18.00")


def test_the_margin_floor_raises_an_inelastic_product_priced_too_close_to_its_cost(store):
    services.price_suggestions_recompute(margin_floor=0.2, max_change=0.1)

    inelastic = proposal(store["inelastic"])
    # Demand is not elastic enough to move the price, but 20.00 on a cost of 17.00 is a 15%
    # margin: the floor 17 / 0.8 = 21.25 wins.
    assert inelastic.suggested_price == Decimal("21.25")
    assert "margin floor" in inelastic.reason
    margin = (inelastic.suggested_price - inelastic.unit_cost) / inelastic.suggested_price
    assert margin >= Decimal("0.2")


def test_every_suggestion_respects_both_guard_rails(store):
    services.price_suggestions_recompute(max_change=0.05, margin_floor=0.3)

    suggested = dict(PriceSuggestion.objects.values_list("product__title", "suggested_price"))
    # Steady (cost 8): the cut towards 16.00 stops at -5%. Varied and Inelastic (costs 15 and
    # 17) need 21.43 and 24.29 for a 30% margin; the rise stops at +5%, short of the floor.
    assert suggested == {
        "Steady": Decimal("19.00"),
        "Varied": Decimal("21.00"),
        "Inelastic": Decimal("21.00"),
    }
    assert "margin floor" in proposal(store["inelastic"]).reason


def test_products_without_cost_or_price_variation_get_no_proposal_and_the_reason(store):
    run = services.price_suggestions_recompute()

    assert run.products_sold == 5
    assert run.proposed == 3
    assert run.skipped == {
        services.SKIP_NO_COST: [store["uncosted"].pk],
        services.SKIP_NO_VARIATION: [store["flat"].pk],
    }
    assert not PriceSuggestion.objects.filter(
        product__in=[store["uncosted"], store["flat"]]
    ).exists()
    summary = run.summary()
    assert "3 price(s) proposed for the 5 product(s)" in summary
    assert "1 skipped: no unit cost" in summary
    assert "1 skipped: no price variation" in summary


def test_recompute_changes_no_price(store):
    services.price_suggestions_recompute()

    assert set(Product.objects.values_list("price", flat=True)) == {PRICE}
    assert not AuditEntry.objects.filter(action=AuditEntry.Action.PRODUCT_CHANGE).exists()


def test_recompute_replaces_open_proposals_and_keeps_decided_ones(store):
    services.price_suggestions_recompute()
    user = StaffFactory()
    decided = services.price_suggestion_reject(
        suggestion_id=proposal(store["steady"]).pk, user=user
    )

    run = services.price_suggestions_recompute()

    assert run.replaced == 2
    assert PriceSuggestion.objects.filter(status="proposed").count() == 3
    decided.refresh_from_db()
    assert decided.status == PriceSuggestion.Status.REJECTED


def test_cancelled_orders_and_the_week_in_progress_are_not_read(store):
    week_in_progress = timezone.make_aware(
        datetime.combine(last_complete_day(timezone.localdate(), "W") + timedelta(days=1), time(12))
    )
    for status, placed_at in (
        (Order.Status.CANCELLED, placed(3)),
        (Order.Status.PAID, week_in_progress),
    ):
        OrderItemFactory(
            order=OrderFactory(status=status, placed_at=placed_at),
            product=store["steady"],
            quantity=500,
            unit_price=Decimal("5.00"),
        )

    run = services.price_suggestions_recompute()

    # Steady still never changed its price: it borrows the category's elasticity.
    steady = proposal(store["steady"])
    assert steady.scope == PriceSuggestion.Scope.CATEGORY
    assert steady.quantity_per_week == 10
    assert run.proposed == 3


def test_an_empty_store_proposes_nothing():
    run = services.price_suggestions_recompute()

    assert (run.products_sold, run.proposed, run.skipped) == (0, 0, {})


@pytest.mark.parametrize(
    "arguments", [{"weeks": 2}, {"max_change": 0}, {"max_change": 1.5}, {"margin_floor": 1}]
)
def test_bad_arguments_are_refused_before_anything_is_written(store, arguments):
    with pytest.raises(ValueError):
        services.price_suggestions_recompute(**arguments)
    assert not PriceSuggestion.objects.exists()


def test_one_open_proposal_per_product_is_enforced_by_the_database(store):
    open_suggestion(store["varied"])

    with pytest.raises(IntegrityError):
        open_suggestion(store["varied"])


# --- decisions -----------------------------------------------------------------------------


def test_approving_sets_the_price_and_writes_an_audit_entry_by_the_approver(store):
    services.price_suggestions_recompute()
    suggestion = proposal(store["varied"])
    user = StaffFactory()

    approved = services.price_suggestion_approve(suggestion_id=suggestion.pk, user=user)

    store["varied"].refresh_from_db()
    assert store["varied"].price == Decimal("22.00")
    assert approved.status == PriceSuggestion.Status.APPROVED
    assert approved.decided_by == user and approved.decided_at is not None
    entry = AuditEntry.objects.get(action=AuditEntry.Action.PRODUCT_CHANGE)
    assert entry.target_id == str(store["varied"].pk)
    assert entry.changes == {"price": ["20.00", "22.00"]}
    assert entry.actor == user
    # No other product moved.
    assert Product.objects.exclude(price=PRICE).count() == 1


def test_rejecting_keeps_the_price(store):
    suggestion = open_suggestion(store["varied"])
    user = StaffFactory()

    rejected = services.price_suggestion_reject(suggestion_id=suggestion.pk, user=user)

    store["varied"].refresh_from_db()
    assert store["varied"].price == PRICE
    assert (rejected.status, rejected.decided_by) == (PriceSuggestion.Status.REJECTED, user)
    assert not AuditEntry.objects.filter(action=AuditEntry.Action.PRODUCT_CHANGE).exists()


def test_a_decided_suggestion_cannot_be_decided_again(store):
    suggestion = open_suggestion(store["varied"])
    user = StaffFactory()
    services.price_suggestion_reject(suggestion_id=suggestion.pk, user=user)

    with pytest.raises(PriceSuggestionNotOpen):
        services.price_suggestion_approve(suggestion_id=suggestion.pk, user=user)

    store["varied"].refresh_from_db()
    assert store["varied"].price == PRICE


def test_a_price_changed_since_the_proposal_is_not_overwritten(store):
    suggestion = open_suggestion(store["varied"])
    Product.objects.filter(pk=store["varied"].pk).update(price=Decimal("19.00"))

    with pytest.raises(ProductPriceChanged):
        services.price_suggestion_approve(suggestion_id=suggestion.pk, user=StaffFactory())

    suggestion.refresh_from_db()
    assert suggestion.status == PriceSuggestion.Status.PROPOSED
    assert Product.objects.get(pk=store["varied"].pk).price == Decimal("19.00")


def test_only_a_person_decides(store):
    suggestion = open_suggestion(store["varied"])

    for nobody in (None, AnonymousUser()):
        with pytest.raises(ValueError, match="person"):
            services.price_suggestion_approve(suggestion_id=suggestion.pk, user=nobody)

    suggestion.refresh_from_db()
    assert suggestion.status == PriceSuggestion.Status.PROPOSED


def test_a_missing_suggestion_is_a_clear_error():
    with pytest.raises(PriceSuggestionNotFound):
        services.price_suggestion_reject(suggestion_id=999, user=StaffFactory())


def test_the_database_refuses_an_approval_without_a_time(store):
    suggestion = open_suggestion(store["varied"])

    with pytest.raises(IntegrityError):
        PriceSuggestion.objects.filter(pk=suggestion.pk).update(status="approved")


# --- command -------------------------------------------------------------------------------


def test_the_command_proposes_and_says_what_it_skipped(store, capsys):
    call_command("price_suggestions", "--max-change", "0.1")

    out = capsys.readouterr().out
    assert "3 price(s) proposed for the 5 product(s) sold in the 52 weeks to " in out
    assert "1 skipped: no unit cost" in out
    assert PriceSuggestion.objects.filter(status="proposed").count() == 3


def test_the_command_refuses_a_bad_guard_rail():
    with pytest.raises(CommandError, match="maximum change"):
        call_command("price_suggestions", "--max-change", "2")


def test_the_command_reads_history_up_to_the_day_given(store, capsys):
    long_ago = timezone.localdate().replace(year=timezone.localdate().year - 2)

    call_command("price_suggestions", "--as-of", long_ago.isoformat())

    assert "0 price(s) proposed for the 0 product(s)" in capsys.readouterr().out
