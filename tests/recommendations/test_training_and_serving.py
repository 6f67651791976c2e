"""Training a bundle on the store's behaviour, and serving its lists (no worker)."""

from functools import partial

import pytest

from ml.models import ModelAlias
from ml.selectors import alias_get, artifact_local_dir
from ml.serving import model_cache
from recommendations import selectors, services, serving
from recommendations.bundle import Bundle
from recommendations.models import PersonalList
from shop.models import Event
from tests.recommendations.store import FAST_SEQUENTIAL, build_planted_store

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fresh_caches(settings):
    settings.ML_DEVICE = "cpu"
    model_cache.clear()
    serving.available_products.clear()
    yield
    model_cache.clear()
    serving.available_products.clear()


@pytest.fixture
def store():
    return build_planted_store()


@pytest.fixture
def trained(store, artifact_store):
    version, promoted = services.recs_train(sequential=FAST_SEQUENTIAL, use_content=False)
    return store, version, promoted


def ids(found) -> list[int]:
    return [item.product_id for item in found.items]


def test_bundle_data_merges_events_and_orders_per_customer(store):
    data = services.recs_bundle_data()
    catalogue = data.catalogue
    assert len(catalogue) == len(store.products)
    first = store.customers[0]
    row = data.customer_sequences.user_ids.index(str(first.pk))
    sequence = [catalogue.product_id(i) for i in data.customer_sequences.sequences[row]]
    p = store.products
    assert sequence[:3] == [p["A"].pk, p["B"].pk, p["C"].pk]
    assert set(sequence[3:]) == {p["P"].pk, p["Q"].pk}  # the order came an hour later
    assert len(data.baskets) == 12 + 3
    assert data.item_embeddings is None


def test_repeated_steps_on_one_product_collapse_to_the_strongest():
    from recommendations.selectors import collapse_repeats

    times, items, weights = collapse_repeats(
        [(3.0, 7, 5.0), (1.0, 7, 1.0), (2.0, 7, 3.0), (4, 2, 1)]
    )
    assert items == [7, 2]
    assert weights == [5.0, 1.0]
    assert times == [1.0, 4]


def test_training_registers_promotes_and_evaluates_against_baselines(trained):
    store, version, promoted = trained
    assert promoted
    assert alias_get(task="recommendations").version == version
    models = version.metrics["models"]
    assert {"sequential", "also_viewed", "trending", "popularity"} <= set(models)
    for name in ("sequential", "popularity"):
        assert {"hr@10", "ndcg@10", "hr@20", "ndcg@20", "mrr", "train_s"} <= set(models[name])
    # The planted chains are learnable: the sequential model ranks the held-out last item
    # far above what popularity can.
    assert models["sequential"]["ndcg@10"] > models["popularity"]["ndcg@10"]
    assert version.metrics["ndcg@10"] == models["sequential"]["ndcg@10"]
    # The co-occurrence mixture the validation chose (weight 0: none) is what serves.
    served = Bundle.load(artifact_local_dir(version=version)).recommenders["sequential"]
    assert served.fusion_weight == models["sequential"].get("fusion_weight", 0.0)
    # The planted customers, and the three who bought R alone.
    assert version.data_summary["customers"] == len(store.customers) + 3


def test_training_evaluates_a_sample_of_customers_beyond_eval_users(store):
    from recommendations.bundle import BundleConfig, train_bundle

    data = services.recs_bundle_data()
    config = BundleConfig(sequential=FAST_SEQUENTIAL, eval_users=5)

    bundle = train_bundle(data, config)

    assert bundle.evaluation["users"] == 5
    assert bundle.evaluation["customers"] > 5
    assert bundle.recommenders["sequential"].fusion["validation_users"] <= 5


def test_for_you_continues_the_planted_sequence(trained):
    store, version, _ = trained
    p = store.products
    customer = store.customers[1]
    Event.objects.filter(customer=customer).exclude(product=p["A"]).delete()
    found = serving.for_you(3, customer_id=customer.pk)
    assert found.version == version and found.fallback == ""
    assert ids(found)[0] == p["B"].pk
    assert p["A"].pk not in ids(found)


def test_bought_together_finds_the_planted_pair_with_its_reason(trained):
    store, _, _ = trained
    p = store.products
    found = serving.bought_together(p["P"].pk, 3)
    assert ids(found)[0] == p["Q"].pk
    assert found.items[0].reason == "bought_with"
    assert found.items[0].anchor_id == p["P"].pk


def test_similar_uses_co_viewing_and_excludes_the_product_itself(trained):
    store, _, _ = trained
    p = store.products
    found = serving.similar(p["X"].pk, 2)
    assert p["X"].pk not in ids(found)
    assert set(ids(found)) == {p["Y"].pk, p["Z"].pk}


def test_out_of_stock_and_inactive_products_are_never_recommended(trained):
    store, _, _ = trained
    p = store.products
    p["Q"].stock = 0
    p["Q"].save()
    serving.available_products.clear()
    assert p["Q"].pk not in ids(serving.bought_together(p["P"].pk, 5))


def test_unknown_product_and_history_less_shopper_fall_back_to_trending(trained):
    found = serving.similar(10**12, 5)
    assert found.fallback and found.items
    anonymous = serving.for_you(5, session_id="never-seen")
    assert "trending" in anonymous.fallback and anonymous.items


def test_an_anonymous_sessions_events_change_its_list_at_once(trained):
    store, _, _ = trained
    p = store.products
    assert serving.for_you(3, session_id="fresh").fallback
    from django.utils import timezone

    Event.objects.create(
        kind="view", session_id="fresh", product=p["X"], occurred_at=timezone.now()
    )
    found = serving.for_you(3, session_id="fresh")
    assert found.fallback == ""
    assert ids(found)[0] == p["Y"].pk


def test_trending_in_a_category_stays_in_it(trained):
    store, _, _ = trained
    shoes = store.categories["Shoes"]
    found = serving.trending(5, category_id=shoes.pk)
    names = {pk: name for name, product in store.products.items() for pk in [product.pk]}
    assert {names[pk] for pk in ids(found)} <= {"X", "Y", "Z"}
    assert found.items


def test_personal_lists_are_precomputed_for_every_customer_with_history(trained):
    store, version, _ = trained
    written = services.personal_lists_recompute()
    assert written == len(store.customers) + 3  # and the three lone buyers of R
    stored = PersonalList.objects.get(customer=store.customers[0])
    assert stored.model_version == version
    assert len(stored.items) > 0
    assert {"product", "score", "reason", "anchor"} == set(stored.items[0])
    served = serving.for_you(len(stored.items), customer_id=store.customers[0].pk)
    assert ids(served) == [row["product"] for row in stored.items]
    # The serving read returns the same rows, and nothing for another version's list.
    read = partial(selectors.personal_list_items, customer_id=store.customers[0].pk)
    assert read(version_id=version.pk) == stored.items
    assert read(version_id=version.pk + 1) is None
    # Recomputing replaces each customer's list in place.
    assert services.personal_lists_recompute() == written
    assert PersonalList.objects.count() == written
    assert PersonalList.objects.get(customer=store.customers[0]).items == stored.items


def test_refreshing_changed_lists_recomputes_exactly_the_customers_whose_history_moved(trained):
    from django.utils import timezone

    store, _version, _ = trained
    written = services.personal_lists_recompute()
    assert services.personal_lists_recompute(only_changed=True) == 0  # nothing moved
    first, second, third = store.customers[:3]
    before = {row.customer_id: row for row in PersonalList.objects.all()}
    # New behaviour for one customer, a list from before fingerprints for another, a list
    # missing for a third: those three, and nobody else, are recomputed.
    Event.objects.create(
        kind="view", customer=first, product=store.products["X"], occurred_at=timezone.now()
    )
    PersonalList.objects.filter(customer=second).update(history_fingerprint=None)
    PersonalList.objects.filter(customer=third).delete()
    assert services.personal_lists_recompute(only_changed=True) == 3
    after = {row.customer_id: row for row in PersonalList.objects.all()}
    assert len(after) == written
    moved = {pk for pk in after if after[pk].computed_at != before[pk].computed_at}
    assert moved == {first.pk, second.pk, third.pk}
    assert after[first.pk].history_fingerprint != before[first.pk].history_fingerprint
    # What the refresh wrote is what a full recompute writes.
    changed_items = {pk: after[pk].items for pk in (first.pk, second.pk, third.pk)}
    services.personal_lists_recompute()
    for pk, items in changed_items.items():
        assert PersonalList.objects.get(customer_id=pk).items == items
    assert services.personal_lists_recompute(only_changed=True) == 0


def test_history_fingerprints_tell_histories_apart():
    fingerprint = services.history_fingerprint
    assert fingerprint([1, 2, 3]) == fingerprint([1, 2, 3])
    values = {fingerprint(h) for h in ([1, 2, 3], [3, 2, 1], [1, 2], [], [1, 2, 3, 4])}
    assert len(values) == 5
    assert all(-(2**63) <= value < 2**63 for value in values)


def test_serving_follows_the_champion_after_a_promotion_and_a_rollback(trained, monkeypatch):
    from ml import services as ml_services

    store, first, _ = trained
    second, _ = services.recs_train(sequential=FAST_SEQUENTIAL, use_content=False, promote=False)
    monkeypatch.setattr(model_cache, "check_interval_s", 0.0)
    assert serving.trending(3).version == first
    ml_services.alias_promote(version_id=second.pk, user=None)
    assert serving.trending(3).version == second
    ml_services.alias_rollback(task="recommendations", alias=ModelAlias.Name.CHAMPION)
    assert serving.trending(3).version == first


def test_no_champion_serves_best_sellers(store):
    found = serving.for_you(3, customer_id=store.customers[0].pk)
    assert found.version is None and "best sellers" in found.fallback
    assert ids(found)[0] in {store.products["P"].pk, store.products["Q"].pk}


def test_a_store_without_behaviour_cannot_train(db, artifact_store):
    from tests.factories.shop import ProductFactory

    ProductFactory.create_batch(3)
    with pytest.raises(ValueError, match="no interactions"):
        services.recs_train(sequential=FAST_SEQUENTIAL, use_content=False)


@pytest.mark.slow
def test_content_similarity_serves_a_product_nobody_has_touched(
    store, artifact_store, settings, monkeypatch
):
    # The packaged encoder: "NEW dress" reads like the other dresses.
    services.recs_train(sequential=FAST_SEQUENTIAL, use_content=True)
    p = store.products
    found = serving.similar(p["NEW"].pk, 3)
    assert found.fallback == ""
    assert found.items and all(item.reason == "similar" for item in found.items)
    dresses = {p[name].pk for name in ("A", "B", "C", "D")}
    assert ids(found)[0] in dresses
    # The product texts' vectors are stored: the next training embeds none of them again.
    from ml.models import TextEmbedding

    assert TextEmbedding.objects.count() == len(p)
    monkeypatch.setattr(
        "ml.training.inference.EncoderEngine.embed",
        lambda self, texts: pytest.fail(f"embedded {len(texts)} texts again"),
    )
    services.recs_train(sequential=FAST_SEQUENTIAL, use_content=True, promote=False)
