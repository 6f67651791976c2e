"""A customer's behaviour cluster is part of their data export, and erasure deletes it."""

from datetime import date

import pytest
from django.utils import timezone

from insights.models import BehaviourCluster, BehaviourClusterAssignment, BehaviourClusterRun
from shop.privacy.selectors import customer_export
from shop.privacy.services import customer_erase
from tests.factories.shop import CustomerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def assigned():
    customer = CustomerFactory()
    run = BehaviourClusterRun.objects.create(as_of=date(2026, 6, 1), k=1, created_at=timezone.now())
    cluster = BehaviourCluster.objects.create(
        run=run, number=0, name="Premium buyers", name_source="rule", rule_name="x", size=1
    )
    BehaviourClusterAssignment.objects.create(
        customer=customer, run=run, cluster=cluster, distance=0.5
    )
    return customer, cluster


def test_the_export_holds_the_customers_cluster(assigned):
    customer, cluster = assigned

    data = customer_export(customer_id=customer.pk)

    assert [row["cluster_id"] for row in data["behaviour_cluster"]] == [cluster.pk]


def test_erasure_deletes_the_customers_cluster_assignment(assigned):
    customer, _cluster = assigned

    record = customer_erase(customer_id=customer.pk, via="admin")

    assert record.counts["cluster_assignments_deleted"] == 1
    assert not BehaviourClusterAssignment.objects.filter(customer=customer).exists()
