"""Fuzz every operation of the REST API from its own OpenAPI schema (schemathesis, in process).

Each generated request goes straight to the Django WSGI application, once for each caller that
gets past authentication: a staff user who holds every permission (token), the storefront
server (API key with every scope) and a customer (token). Operations on one object are sent a
second time at an object that exists, so that the fuzzer reaches the views' real work and not
only their 404s. Every response must be a non-5xx that the schema documents: status code,
content type, headers and body.

Bounded and deterministic: a fixed number of examples per operation, derandomized.
"""

from collections.abc import Iterator
from datetime import date

import pytest
import schemathesis
from django.conf import settings as django_settings
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from hypothesis.configuration import set_hypothesis_home_dir
from rest_framework.authtoken.models import Token
from schemathesis.checks import negative_data_rejection, positive_data_acceptance

from config.wsgi import application
from insights.models import SentimentAlert
from ml.models import ModelAlias, ModelVersion
from shop.models import ApiKey
from shop.services import api_key_issue
from tests.factories.api import (
    CategoryFactory,
    CustomerFactory,
    JobFactory,
    OrderFactory,
    OrderItemFactory,
    ProductFactory,
    ReviewFactory,
    StaffFactory,
)

# Hypothesis keeps its files under VAR_DIR, not in the working tree.
set_hypothesis_home_dir(str(django_settings.VAR_DIR / "hypothesis"))

EXAMPLES_PER_OPERATION = 30
# Checks left out, and why:
# - positive_data_acceptance: a schema-valid request may rightly be a 400 for what a schema
#   cannot say (a wrong password, an unknown product, since >= until);
# - negative_data_rejection: DRF accepts by design what a strict reading of the schema would
#   not (a number where a string is expected, an empty `page` for the first page, unknown query
#   parameters); every other malformed input must still get a documented 4xx, never a 5xx.
LENIENT_CHECKS = [positive_data_acceptance, negative_data_rejection]
FUZZ_TASK = "fuzz"

# schemathesis makes one test item per operation, all with the same node id, which pytest-xdist
# reports (and runs) as one: `make test` runs this file in a second, single-process pass.
pytestmark = pytest.mark.single_process

schema = schemathesis.openapi.from_wsgi("/api/schema/", application)


@pytest.fixture(autouse=True)
def _unthrottled(settings) -> None:
    # Thousands of requests from three callers: throttling is tested on its own.
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": dict.fromkeys(
            settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], None
        ),
    }
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _keep_test_connection_open() -> Iterator[None]:
    # The WSGI handler closes the database connection when a request starts and finishes,
    # which would end the test's transaction; Django's test client detaches it the same way.
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    yield
    for signal in (request_started, request_finished):
        signal.connect(close_old_connections)


@pytest.fixture
def identities(db) -> dict[str, dict[str, str]]:
    staff = StaffFactory(is_superuser=True)
    customer = CustomerFactory()
    _api_key, raw_key = api_key_issue(
        name="fuzz", scopes=list(ApiKey.Scope.values), created_by=None
    )
    return {
        "staff": {"Authorization": f"Token {Token.objects.create(user=staff).key}"},
        "storefront": {"Authorization": f"Api-Key {raw_key}"},
        "customer": {"Authorization": f"Token {Token.objects.create(user=customer.user).key}"},
        "_customer": customer,
    }


@pytest.fixture
def existing_objects(identities) -> dict[str, dict[str, object]]:
    """Path parameters, per path, of objects that exist (the customer bought the product)."""
    category = CategoryFactory(parent=CategoryFactory())
    product = ProductFactory(category=category)
    order = OrderFactory(customer=identities["_customer"])
    OrderItemFactory(order=order, product=product)
    ReviewFactory(product=product)
    job = JobFactory()
    version = ModelVersion.objects.create(
        task=FUZZ_TASK, version=1, base_model="tiny", artifact_path="fuzz/v1", sha256="0" * 64
    )
    ModelAlias.objects.create(task=FUZZ_TASK, name=ModelAlias.Name.CHAMPION, version=version)
    alert = SentimentAlert.objects.create(
        product=product,
        window_start=date(2026, 6, 1),
        window_end=date(2026, 6, 28),
        recent_negative=10,
        recent_total=20,
        baseline_negative=4,
        baseline_total=40,
        statistic=9.0,
        p_value=0.001,
        test="Fisher exact",
        evidence=[{"review_id": 1, "sentence": "It runs small."}],
    )
    return {
        "/api/v1/categories/{id}/": {"id": category.pk},
        "/api/v1/products/{id}/": {"id": product.pk},
        "/api/v1/products/{product_id}/reviews/": {"product_id": product.pk},
        "/api/v1/products/{product_id}/sentiment/": {"product_id": product.pk},
        "/api/v1/orders/{id}/": {"id": order.pk},
        "/api/v1/jobs/{id}/": {"id": job.pk},
        "/api/v1/jobs/{id}/cancel/": {"id": job.pk},
        "/api/v1/models/{id}/": {"id": version.pk},
        "/api/v1/models/{id}/promote/": {"id": version.pk},
        "/api/v1/models/tasks/{task}/aliases/": {"task": FUZZ_TASK},
        "/api/v1/models/tasks/{task}/rollback/": {"task": FUZZ_TASK},
        "/api/v1/insights/alerts/{id}/": {"id": alert.pk},
        "/api/v1/insights/alerts/{id}/acknowledge/": {"id": alert.pk},
        "/api/v1/insights/alerts/{id}/dismiss/": {"id": alert.pk},
    }


def call_as_each_caller(case, identities) -> None:
    for name, headers in identities.items():
        if name.startswith("_"):
            continue
        case.call_and_validate(headers=headers, excluded_checks=LENIENT_CHECKS)


@schema.parametrize()
@settings(
    max_examples=EXAMPLES_PER_OPERATION,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
def test_api_conforms_to_its_schema_under_fuzzing(case, identities, existing_objects):
    call_as_each_caller(case, identities)

    if case.operation.path in existing_objects:
        case.path_parameters = {
            **(case.path_parameters or {}),
            **existing_objects[case.operation.path],
        }
        call_as_each_caller(case, identities)
