"""Who may call what: every API operation and every admin page family against every kind of
caller, with the expected outcome written down per cell.

Outcomes: A allowed (the request reaches the view's work: 2xx, 3xx, or a domain error such as
400/409 or a 404 with a domain code), U unauthenticated (401), D denied (403), H hidden (a
plain 404: it exists, but not for this caller), L sent to the admin login page.

The operations are enumerated from the OpenAPI schema and the admin pages from the URL
resolver and the admin registry, so a new endpoint or page that is missing from the tables
fails `test_every_*_is_in_the_matrix`.
"""

from datetime import date

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from insights.models import (
    BehaviourCluster,
    BehaviourClusterAssignment,
    BehaviourClusterRun,
    SentimentAlert,
)
from marketing.models import Campaign
from ml.models import ModelAlias, ModelVersion
from shop.models import ApiKey
from tests.factories.api import (
    PASSWORD,
    CategoryFactory,
    CustomerFactory,
    JobFactory,
    OrderFactory,
    OrderItemFactory,
    ProductFactory,
    ReviewFactory,
    StaffFactory,
    api_key_client,
    token_client,
)

pytestmark = pytest.mark.django_db

S = ApiKey.Scope

# --- Callers --------------------------------------------------------------------------------

API_CALLERS = (
    "anon",  # no credentials
    "cust",  # the customer who placed the order and bought the product (token)
    "other",  # another customer (token)
    "key:cat",  # the storefront's API key with catalogue:read only (a key has 1+ scopes)
    "key:ev",  # ... with events:write only
    "key:rev",  # ... with reviews:read only
    "key:rec",  # ... with recommendations:read only
    "key:ads",  # ... with ads:read only
    "key:sup",  # ... with support:chat only
    "staff",  # staff in no group (token)
    "store",  # the groups created by the migrations (token)
    "mkt",
    "supp",
    "ds",
)
KEY_SCOPES = {
    "key:cat": [S.CATALOGUE_READ],
    "key:ev": [S.EVENTS_WRITE],
    "key:rev": [S.REVIEWS_READ],
    "key:rec": [S.RECOMMENDATIONS_READ],
    "key:ads": [S.ADS_READ],
    "key:sup": [S.SUPPORT_CHAT],
}
GROUPS = {
    "store": "Store staff",
    "mkt": "Marketers",
    "supp": "Support agents",
    "ds": "Data scientists",
}

# --- API ------------------------------------------------------------------------------------

# Columns: anon cust other | key with catalogue:read, events:write, reviews:read,
# recommendations:read, ads:read, support:chat | staff (no group), Store staff, Marketers,
# Support agents, Data scientists. Paths are under /api/v1/.
# fmt: off
API_MATRIX = {
    "POST /auth/token/":                                  "A A A | A A A A A A | A A A A A",
    "GET /categories/":                                   "U D D | A D D D D D | A A A A A",
    "GET /categories/{id}/":                              "U D D | A D D D D D | A A A A A",
    "GET /products/":                                     "U D D | A D D D D D | A A A A A",
    "GET /products/{id}/":                                "U D D | A D D D D D | A A A A A",
    "GET /products/{product_id}/reviews/":                "U D D | A D A D D D | A A A A A",
    "POST /products/{product_id}/reviews/":               "U A D | D D D D D D | D D D D D",
    "GET /products/{product_id}/sentiment/":              "U D D | A D A D D D | A A A A A",
    "GET /orders/":                                       "U A A | D D D D D D | D A D A A",
    "GET /orders/{id}/":                                  "U A H | D D D D D D | D A D A A",
    "POST /events/":                                      "U D D | D A D D D D | D D D D D",
    "GET /jobs/":                                         "U D D | D D D D D D | D A A D A",
    "POST /jobs/":                                        "U D D | D D D D D D | D A A D A",
    "GET /jobs/{id}/":                                    "U D D | D D D D D D | D A A D A",
    "POST /jobs/{id}/cancel/":                            "U D D | D D D D D D | D D D D A",
    "GET /job-kinds/":                                    "U D D | D D D D D D | D A A D A",
    "GET /models/":                                       "U D D | D D D D D D | D A D D A",
    "GET /models/{id}/":                                  "U D D | D D D D D D | D A D D A",
    "POST /models/{id}/promote/":                         "U D D | D D D D D D | D D D D A",
    "GET /models/tasks/{task}/aliases/":                  "U D D | D D D D D D | D A D D A",
    "POST /models/tasks/{task}/rollback/":                "U D D | D D D D D D | D D D D A",
    "GET /insights/sentiment/":                           "U D D | D D D D D D | D A A A A",
    "POST /insights/sentiment/rescore/":                  "U D D | D D D D D D | D A A D A",
    "GET /insights/alerts/":                              "U D D | D D D D D D | D A D D A",
    "GET /insights/alerts/{id}/":                         "U D D | D D D D D D | D A D D A",
    "POST /insights/alerts/{id}/acknowledge/":            "U D D | D D D D D D | D A D D A",
    "POST /insights/alerts/{id}/dismiss/":                "U D D | D D D D D D | D A D D A",
    "GET /insights/aspects/":                             "U D D | D D D D D D | D A D D A",
    "GET /insights/segments/":                            "U D D | D D D D D D | D A D A A",
    "GET /insights/customers/{customer_id}/scores/":      "U D D | D D D D D D | D A D A A",
    "GET /insights/forecasts/":                           "U D D | D D D D D D | D A A D A",
    "GET /insights/forecasts/products/{product_id}/":     "U D D | D D D D D D | D A A D A",
    "GET /insights/forecasts/categories/{category_id}/":  "U D D | D D D D D D | D A A D A",
    "GET /insights/reorder-suggestions/":                 "U D D | D D D D D D | D A A D A",
    "GET /insights/campaigns/{campaign_id}/lift/":        "U D D | D D D D D D | D A A D A",
    "GET /insights/propensity/":                          "U D D | D D D D D D | D A A D A",
    "GET /insights/customers/{customer_id}/propensity/":  "U D D | D D D D D D | D A A D A",
    "GET /insights/clusters/":                            "U D D | D D D D D D | D A A D A",
    "GET /insights/clusters/{cluster_id}/customers/":     "U D D | D D D D D D | D A A D A",
    "GET /insights/search-topics/":                       "U D D | D D D D D D | D A A D A",
    "GET /recommendations/for-you/":                      "U A A | D D D A D D | A A A A A",
    "GET /recommendations/similar/{product_id}/":         "U A A | D D D A D D | A A A A A",
    "GET /recommendations/bought-together/{product_id}/": "U A A | D D D A D D | A A A A A",
    "GET /recommendations/trending/":                     "U A A | D D D A D D | A A A A A",
    "POST /recommendations/events/":                      "U D D | D A D D D D | D D D D D",
    "GET /recommendations/report/":                       "U D D | D D D D D D | A A A A A",
    "GET /ads/{placement}/":                              "U D D | D D D D A D | A A A A A",
    "POST /ads/events/":                                  "U D D | D A D D D D | A A A A A",
    "GET /marketing/campaigns/{campaign_id}/report/":     "U D D | D D D D D D | D A A D A",
    "GET /health/":                                       "A A A | A A A A A A | A A A A A",
    "POST /support/conversations/":                       "U A A | D D D D D A | D D D D D",
    "GET /support/conversations/{id}/messages/":          "U A H | D D D D D H | D D D D D",
    "POST /support/conversations/{id}/messages/":         "U A H | D D D D D H | D D D D D",
    "POST /support/conversations/{id}/messages/{message_id}/rating/": "U A H | D D D D D H | D D D D D",  # noqa: E501
    "POST /support/conversations/{id}/rating/":           "U A H | D D D D D H | D D D D D",
    "GET /me/export/":                                    "U A A | D D D D D D | D D D D D",
    "POST /me/erase/":                                    "U A A | D D D D D D | D D D D D",
    "GET /privacy/customers/{customer_id}/export/":       "U D D | D D D D D D | D A D D D",
    "POST /privacy/customers/{customer_id}/erase/":       "U D D | D D D D D D | D A D D D",
}
# fmt: on
# Outside the schema: the schema and its docs are public.
API_EXTRA_ROUTES = {"api/schema/", "api/docs/"}


def cells(row: str) -> list[str]:
    return [cell for cell in row.split() if cell != "|"]


def api_operations() -> set[str]:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    return {f"{method.upper()} {path}" for path, ops in schema["paths"].items() for method in ops}


def test_every_api_operation_is_in_the_matrix():
    assert {f"{method} /api/v1{path}" for method, path in map(str.split, API_MATRIX)} == (
        api_operations()
    )


def test_every_api_route_is_in_the_schema():
    schema_paths = {
        operation.split(" ", 1)[1].lstrip("/") for operation in api_operations()
    } | API_EXTRA_ROUTES
    routes = {
        route for route, _name in walk_urls(get_resolver().url_patterns) if route.startswith("api/")
    }
    as_schema_path = {route: normalise_route(route) for route in routes}

    assert {path for path in as_schema_path.values() if path not in schema_paths} == set()


def normalise_route(route: str) -> str:
    """`api/v1/orders/<id:pk>/` as the schema names it: `api/v1/orders/{id}/`."""
    parts = []
    for part in route.split("/"):
        if part.startswith("<"):
            name = part.strip("<>").split(":")[-1]
            part = "{" + ("id" if name == "pk" else name) + "}"
        parts.append(part)
    return "/".join(parts)


def walk_urls(patterns, prefix: str = "", namespace: str = ""):
    """(route, namespaced name) of every URL pattern."""
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = pattern.namespace or namespace
            yield from walk_urls(pattern.url_patterns, prefix + str(pattern.pattern), inner)
        elif isinstance(pattern, URLPattern):
            name = f"{namespace}:{pattern.name}" if namespace and pattern.name else pattern.name
            yield prefix + str(pattern.pattern), name


@pytest.fixture
def world(db) -> dict:
    """One of everything the API and the admin pages act on."""
    customer = CustomerFactory()
    other = CustomerFactory()
    product = ProductFactory(category=CategoryFactory())
    order = OrderFactory(customer=customer)
    OrderItemFactory(order=order, product=product)
    ReviewFactory(product=product, customer=other)
    version = ModelVersion.objects.create(
        task="sentiment", version=1, base_model="tiny", artifact_path="s/v1", sha256="0" * 64
    )
    ModelAlias.objects.create(task="sentiment", name=ModelAlias.Name.CHAMPION, version=version)
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
        evidence=[],
    )
    run = BehaviourClusterRun.objects.create(
        as_of=date(2026, 6, 28), k=1, created_at=timezone.now()
    )
    cluster = BehaviourCluster.objects.create(
        run=run, number=0, name="All", name_source="rule", rule_name="All", size=1
    )
    BehaviourClusterAssignment.objects.create(
        customer=customer, run=run, cluster=cluster, distance=0.0
    )
    return {
        "cluster": cluster,
        "customer": customer,
        "other": other,
        "product": product,
        "order": order,
        "job": JobFactory(),
        "version": version,
        "alert": alert,
        "campaign": Campaign.objects.create(
            name="Spring",
            slug="spring",
            channel=Campaign.Channel.values[0],
            starts_on=date(2026, 6, 1),
            ends_on=date(2026, 6, 28),
        ),
    }


def api_client_for(caller: str, world: dict) -> APIClient:
    if caller == "anon":
        return APIClient()
    if caller == "cust":
        return token_client(world["customer"].user)
    if caller == "other":
        return token_client(world["other"].user)
    if caller in KEY_SCOPES:
        return api_key_client(*KEY_SCOPES[caller])
    user = StaffFactory()
    if caller in GROUPS:
        user.groups.add(Group.objects.get(name=GROUPS[caller]))
    return token_client(user)


def api_request(operation: str, world: dict) -> tuple[str, str, dict | None]:
    """The method, path and body of a request that succeeds for a caller who is allowed."""
    method, path = operation.split(" ", 1)
    if path.startswith("/api/v1/support/"):
        return support_api_request(method, path, world)
    product = world["product"]
    path = (
        path.replace("{product_id}", str(product.pk))
        .replace("{customer_id}", str(world["customer"].pk))
        .replace("{task}", "sentiment")
        .replace("{placement}", "home")
        .replace("{campaign_id}", str(world["campaign"].pk))
        .replace("{category_id}", str(product.category_id))
        .replace("{cluster_id}", str(world["cluster"].pk))
    )
    ids = {
        "/api/v1/categories/": product.category_id,
        "/api/v1/products/": product.pk,
        "/api/v1/orders/": world["order"].pk,
        "/api/v1/jobs/": world["job"].pk,
        "/api/v1/models/": world["version"].pk,
        "/api/v1/insights/alerts/": world["alert"].pk,
    }
    for prefix, pk in ids.items():
        if path.startswith(prefix + "{id}"):
            path = path.replace("{id}", str(pk))
    bodies = {
        "/api/v1/auth/token/": {"username": world["customer"].user.username, "password": PASSWORD},
        "/api/v1/events/": {
            "events": [
                {
                    "kind": "view",
                    "occurred_at": timezone.now().isoformat(),
                    "product_id": product.pk,
                    "session_id": "s-1",
                }
            ]
        },
        "/api/v1/jobs/": {"kind": "rating_aggregates"},
        f"/api/v1/products/{product.pk}/reviews/": {"rating": 5},
        f"/api/v1/models/{world['version'].pk}/promote/": {"alias": "challenger"},
        "/api/v1/models/tasks/sentiment/rollback/": {"alias": "champion"},
        "/api/v1/me/erase/": {"password": PASSWORD},
        f"/api/v1/privacy/customers/{world['customer'].pk}/erase/": {"confirm": True},
    }
    return method, path, bodies.get(path) if method == "POST" else None


def support_world(world: dict) -> dict:
    """The customer's conversation, an assistant answer in it, and a handoff (made once)."""
    if "support" not in world:
        from support.models import Conversation, Handoff, Message

        conversation = Conversation.objects.create(customer=world["customer"])
        answer = Message.objects.create(conversation=conversation, role="assistant", text="Hi")
        handoff = Handoff.objects.create(conversation=conversation, reason="asked_for_human")
        world["support"] = {"conversation": conversation, "answer": answer, "handoff": handoff}
    return world["support"]


def support_api_request(method: str, path: str, world: dict) -> tuple[str, str, dict | None]:
    """Support chat calls act on the customer's conversation (API-key callers would need its
    secret, and a customer's conversation has none: a plain 404 for them)."""
    support = support_world(world)
    path = path.replace("{id}", str(support["conversation"].pk)).replace(
        "{message_id}", str(support["answer"].pk)
    )
    if path.endswith("/rating/"):
        body = {"rating": 5} if "/messages/" not in path else {"helpful": True}
    else:
        body = {"text": "hello"}
    return method, path, body if method == "POST" else None


def api_outcome(response) -> str:
    if response.status_code == 404 and "code" in response.data:
        # A domain answer about the caller's own request (`customer_not_scored`), past the
        # permission checks; a plain 404 hides an object from this caller.
        return "A"
    return {401: "U", 403: "D", 404: "H"}.get(response.status_code, "A")


API_CELLS = [
    pytest.param(operation.replace(" ", " /api/v1"), caller, expected, id=f"{operation} | {caller}")
    for operation, row in API_MATRIX.items()
    for caller, expected in zip(API_CALLERS, cells(row), strict=True)
]


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.mark.parametrize(("operation", "caller", "expected"), API_CELLS)
def test_api_access(operation, caller, expected, world):
    method, path, body = api_request(operation, world)
    client = api_client_for(caller, world)

    response = getattr(client, method.lower())(path, body, format="json")

    assert api_outcome(response) == expected, (response.status_code, response.data)


# --- Data of another customer --------------------------------------------------------------


def test_another_customer_sees_none_of_the_first_ones_orders(world):
    response = token_client(world["other"].user).get("/api/v1/orders/")

    assert response.status_code == 200
    assert response.json()["results"] == []


def test_a_customer_sees_their_own_order(world):
    response = token_client(world["customer"].user).get("/api/v1/orders/")

    assert [order["id"] for order in response.json()["results"]] == [world["order"].pk]


# --- Admin ----------------------------------------------------------------------------------

ADMIN_CALLERS = (
    "anon",  # no session
    "cust",  # a customer logged in (not staff)
    "key",  # the storefront's API key with every scope: not a session, so anonymous here
    "staff",  # staff in no group
    "store",
    "mkt",
    "supp",
    "ds",
)

# Per registered model: its changelist and add pages (GET). Its change, history and delete
# pages ask the admin for the same view/change/delete permissions (Django's ModelAdmin).
# fmt: off
ADMIN_MODEL_MATRIX = {
    # anon cust key | staff store mkt supp ds
    "auth.group changelist":                     "L L L | D D D D D",
    "auth.group add":                            "L L L | D D D D D",
    "auth.user changelist":                      "L L L | D D D D D",
    "auth.user add":                             "L L L | D D D D D",
    "authtoken.tokenproxy changelist":           "L L L | D D D D D",
    "authtoken.tokenproxy add":                  "L L L | D D D D D",
    "shop.category changelist":                  "L L L | D A A D A",
    "shop.category add":                         "L L L | D A D D D",
    "shop.product changelist":                   "L L L | D A A A A",
    "shop.product add":                          "L L L | D A D D D",
    "shop.customer changelist":                  "L L L | D A D A A",
    "shop.customer add":                         "L L L | D A D D D",
    "shop.order changelist":                     "L L L | D A D A A",
    "shop.order add":                            "L L L | D A D D D",
    "shop.orderitem changelist":                 "L L L | D A D A A",
    "shop.orderitem add":                        "L L L | D A D D D",
    "shop.review changelist":                    "L L L | D A A A A",
    "shop.review add":                           "L L L | D A D D D",
    "shop.event changelist":                     "L L L | D A D D A",
    "shop.event add":                            "L L L | D D D D D",
    "shop.apikey changelist":                    "L L L | D D D D D",
    "shop.apikey add":                           "L L L | D D D D D",
    "ml.job changelist":                         "L L L | D A A D A",
    "ml.job add":                                "L L L | D A A D A",
    "ml.modelversion changelist":                "L L L | D A D D A",
    "ml.modelversion add":                       "L L L | D D D D D",
    "ml.modelalias changelist":                  "L L L | D A D D A",
    "ml.modelalias add":                         "L L L | D D D D D",
    "ml.aliaschange changelist":                 "L L L | D A D D A",
    "ml.aliaschange add":                        "L L L | D D D D D",
    "insights.aspect changelist":                "L L L | D A D D A",
    "insights.aspect add":                       "L L L | D A D D A",
    "insights.aspectmention changelist":         "L L L | D A A D A",
    "insights.aspectmention add":                "L L L | D D D D D",
    "insights.sentimentalert changelist":        "L L L | D A D D A",
    "insights.sentimentalert add":               "L L L | D D D D D",
    "insights.productreviewsummary changelist":  "L L L | D A A A A",
    "insights.productreviewsummary add":         "L L L | D D D D D",
    "insights.reviewsentiment changelist":       "L L L | D A A A A",
    "insights.reviewsentiment add":              "L L L | D D D D D",
    "insights.reviewlabelcorrection changelist": "L L L | D A D D A",
    "insights.reviewlabelcorrection add":        "L L L | D A D D A",
    "insights.customerscore changelist":         "L L L | D A D A A",
    "insights.customerscore add":                "L L L | D D D D D",
    "insights.purchasepropensity changelist":    "L L L | D A A D A",
    "insights.purchasepropensity add":           "L L L | D D D D D",
    "insights.customervaluerun changelist":      "L L L | D A D A A",
    "insights.customervaluerun add":             "L L L | D D D D D",
    "insights.salesforecastrun changelist":      "L L L | D A A D A",
    "insights.salesforecastrun add":             "L L L | D D D D D",
    "insights.behaviourcluster changelist":      "L L L | D A A D A",
    "insights.behaviourcluster add":             "L L L | D D D D D",
    "insights.behaviourclusterassignment changelist": "L L L | D A A D A",
    "insights.behaviourclusterassignment add":   "L L L | D D D D D",
    "insights.pricesuggestion changelist":       "L L L | D A A D A",
    "insights.pricesuggestion add":              "L L L | D D D D D",
    "recommendations.personallist changelist":   "L L L | D A A D A",
    "recommendations.personallist add":          "L L L | D D D D D",
    "recommendations.listevent changelist":      "L L L | D A A D A",
    "recommendations.listevent add":             "L L L | D D D D D",
    "marketing.campaign changelist":             "L L L | D A A D A",
    "marketing.campaign add":                    "L L L | D D A D D",
    "marketing.adcopy changelist":               "L L L | D A A D A",
    "marketing.adcopy add":                      "L L L | D D A D D",
    "marketing.adevent changelist":              "L L L | D A A D A",
    "marketing.adevent add":                     "L L L | D D D D D",
    "marketing.brandvoice changelist":           "L L L | D A A D A",
    "marketing.brandvoice add":                  "L L L | D D A D D",
    "marketing.channellimit changelist":         "L L L | D A A D A",
    "marketing.channellimit add":                "L L L | D D D D D",
    "support.conversation changelist":           "L L L | D A D A A",
    "support.conversation add":                  "L L L | D D D D D",
    "support.intent changelist":                 "L L L | D A D A A",
    "support.intent add":                        "L L L | D D D D A",
    "support.intentexample changelist":          "L L L | D A D A A",
    "support.intentexample add":                 "L L L | D D D A A",
    "support.article changelist":                "L L L | D A D A A",
    "support.article add":                       "L L L | D A D A A",
    "support.handoff changelist":                "L L L | D A D A A",
    "support.handoff add":                       "L L L | D D D D D",
    "audit.auditentry changelist":               "L L L | D A D D A",
    "audit.auditentry add":                      "L L L | D D D D D",
    "audit.privacyrequest changelist":           "L L L | D A D D D",
    "audit.privacyrequest add":                  "L L L | D D D D D",
}

# The admin's own pages and the custom pages (URL name: method and outcomes).
ADMIN_PAGE_MATRIX = {
    # URL name: (method, anon cust key | staff store mkt supp ds)
    "admin:index":                            ("GET",  "L L L | A A A A A"),
    "admin:password_change":                  ("GET",  "L L L | A A A A A"),
    "insights:dashboard":                     ("GET",  "L L L | D A A A A"),
    "insights:product-panel":                 ("GET",  "L L L | D A A A A"),
    "insights:segments":                      ("GET",  "L L L | D A D A A"),
    "insights:segments-recompute":            ("POST", "L L L | D A D D A"),
    "insights:customer-panel":                ("GET",  "L L L | D A D A A"),
    "insights:forecasts":                     ("GET",  "L L L | D A A D A"),
    "insights:forecast-chart":                ("GET",  "L L L | D A A D A"),
    "insights:forecasts-run":                 ("POST", "L L L | D A A D A"),
    "insights:reorder":                       ("GET",  "L L L | D A A D A"),
    "insights:campaign-lift-chart":           ("GET",  "L L L | D A A D A"),
    "insights:propensity":                    ("GET",  "L L L | D A A D A"),
    "insights:propensity-chart":              ("GET",  "L L L | D A A D A"),
    "insights:propensity-run":                ("POST", "L L L | D A A D A"),
    "insights:clusters":                      ("GET",  "L L L | D A A D A"),
    "insights:clusters-chart":                ("GET",  "L L L | D A A D A"),
    "insights:clusters-run":                  ("POST", "L L L | D A A D A"),
    "insights:search-topics":                 ("GET",  "L L L | D A A D A"),
    "insights:search-chart":                  ("GET",  "L L L | D A A D A"),
    "insights:search-run":                    ("POST", "L L L | D A A D A"),
    "admin:ml_job_progress":                  ("GET",  "L L L | D A A D A"),
    "admin:ml_job_cancel":                    ("POST", "L L L | D D D D A"),
    "admin:ml_modelversion_registry":         ("GET",  "L L L | D A D D A"),
    "admin:ml_modelversion_task":             ("GET",  "L L L | D A D D A"),
    "admin:ml_modelversion_promote":          ("POST", "L L L | D D D D A"),
    "admin:ml_modelversion_rollback":         ("POST", "L L L | D D D D A"),
    "admin:insights_reviewsentiment_rescore": ("POST", "L L L | D A A D A"),
    "admin:insights_pricesuggestion_recompute": ("POST", "L L L | D A A D A"),
    "admin:insights_pricesuggestion_approve": ("POST", "L L L | D A D D D"),
    "admin:insights_pricesuggestion_reject":  ("POST", "L L L | D A D D D"),
    "admin:auth_user_password_change":        ("GET",  "L L L | D D D D D"),
    "admin:recommendations_inspector":        ("GET",  "L L L | D A A D A"),
    "insights:home":                          ("GET",  "L L L | A A A A A"),
    "insights:home-chart":                    ("GET",  "L L L | D A D A A"),
    "admin:support_article_reindex":          ("POST", "L L L | D A D A A"),
    "admin:support_handoff_work":             ("GET",  "L L L | D A D A A"),
    "admin:support_handoff_dashboard":        ("GET",  "L L L | D A D A A"),
    "admin:support_handoff_dashboard_chart":  ("GET",  "L L L | D A D A A"),
    "admin:shop_customer_export":             ("GET",  "L L L | D A D D D"),
    "admin:shop_customer_erase":              ("GET",  "L L L | D A D D D"),
    "admin:marketing_campaign_copy":            ("GET",  "L L L | D A A D A"),
    "admin:marketing_campaign_copy_variants":   ("GET",  "L L L | D A A D A"),
    "admin:marketing_campaign_copy_job":        ("GET",  "L L L | D A A D A"),
    "admin:marketing_campaign_copy_compare":    ("GET",  "L L L | D A A D A"),
    "admin:marketing_campaign_copy_row":        ("GET",  "L L L | D A A D A"),
    "admin:marketing_campaign_copy_edit":       ("GET",  "L L L | D D A D D"),
    "admin:marketing_campaign_copy_generate":   ("POST", "L L L | D D A D D"),
    "admin:marketing_campaign_copy_regenerate": ("POST", "L L L | D D A D D"),
    "admin:marketing_campaign_copy_status":     ("POST", "L L L | D D A D D"),
}
# fmt: on
# Admin URLs that are neither a model's page nor in ADMIN_PAGE_MATRIX, and why.
ADMIN_PAGES_NOT_IN_MATRIX = {
    "admin:login": "the login page itself, public",
    "admin:logout": "ends the caller's own session",
    "admin:password_change_done": "a confirmation after password_change",
    "admin:jsi18n": "translations for the admin's scripts",
    "admin:autocomplete": "answers only for a field of a model admin the user may view",
    "admin:view_on_site": "a redirect to a model's own URL",
    "admin:app_list": "the index, filtered by app",
}
MODEL_PAGE_SUFFIXES = ("changelist", "add", "change", "history", "delete")


def test_every_registered_model_is_in_the_matrix():
    registered = {
        f"{model._meta.app_label}.{model._meta.model_name}" for model in admin.site._registry
    }

    assert {row.rsplit(" ", 1)[0] for row in ADMIN_MODEL_MATRIX} == registered


def test_every_admin_page_is_in_the_matrix():
    model_names = {
        f"{model._meta.app_label}_{model._meta.model_name}" for model in admin.site._registry
    }
    custom = set()
    for route, name in walk_urls(get_resolver().url_patterns):
        if not route.startswith("admin/") or name is None:
            continue
        model, _, suffix = name.split(":")[-1].rpartition("_")
        if model in model_names and suffix in MODEL_PAGE_SUFFIXES:
            continue
        custom.add(name)

    assert custom - set(ADMIN_PAGE_MATRIX) - set(ADMIN_PAGES_NOT_IN_MATRIX) == set()


def admin_client_for(caller: str, world: dict) -> Client:
    client = Client()
    if caller == "cust":
        client.force_login(world["customer"].user)
    elif caller == "key":
        _key, raw_key = api_key_issue_all()
        client.defaults["HTTP_AUTHORIZATION"] = f"Api-Key {raw_key}"
    elif caller != "anon":
        user = StaffFactory()
        if caller in GROUPS:
            user.groups.add(Group.objects.get(name=GROUPS[caller]))
        client.force_login(user)
    return client


def api_key_issue_all():
    from shop.services import api_key_issue

    return api_key_issue(name="storefront", scopes=list(S.values), created_by=None)


def model_page_url(row: str) -> str:
    label, page = row.split(" ")
    app_label, model_name = label.split(".")
    return reverse(f"admin:{app_label}_{model_name}_{page}")


def admin_page_url(name: str, world: dict) -> str:
    args = {
        "insights:product-panel": [world["product"].pk],
        "insights:customer-panel": [world["customer"].pk],
        "admin:ml_job_progress": [world["job"].pk],
        "admin:ml_job_cancel": [world["job"].pk],
        "admin:ml_modelversion_task": ["sentiment"],
        "admin:ml_modelversion_promote": [world["version"].pk, "challenger"],
        "admin:ml_modelversion_rollback": ["sentiment", "champion"],
        "admin:auth_user_password_change": [world["customer"].user.pk],
        "insights:home-chart": ["orders"],
        "insights:propensity-chart": ["reliability"],
        "insights:propensity-run": ["score"],
        "insights:campaign-lift-chart": [world["campaign"].pk],
        "admin:shop_customer_export": [world["customer"].pk],
        "admin:shop_customer_erase": [world["customer"].pk],
    }
    if name.startswith("admin:marketing_campaign_copy"):
        args[name] = _copy_page_args(name, world)
    if name in ("admin:insights_pricesuggestion_approve", "admin:insights_pricesuggestion_reject"):
        args[name] = [_price_suggestion(world).pk]
    if name == "admin:support_handoff_work":
        args[name] = [support_world(world)["handoff"].pk]
    if name == "admin:support_handoff_dashboard_chart":
        args[name] = ["containment"]
    return reverse(name, args=args.get(name, []))


def _price_suggestion(world: dict):
    """An open price proposal for the world's product (decided by the store's staff only)."""
    from tests.insights.pricing_fixtures import open_suggestion

    return open_suggestion(world["product"])


def _copy_page_args(name: str, world: dict) -> list:
    """A campaign's copy workbench pages act on one of its variants or generation jobs."""
    from marketing.models import AdCopy
    from tests.factories.api import JobFactory

    campaign = world["campaign"]
    suffix = name.removeprefix("admin:marketing_campaign_copy")
    if suffix in ("", "_variants", "_generate", "_compare"):
        return [campaign.pk]
    if suffix == "_job":
        job = JobFactory(kind="adcopy_generate", params={"campaign": campaign.pk})
        return [campaign.pk, job.pk]
    variant = AdCopy.objects.create(
        campaign=campaign, channel=campaign.channel, placement="home", headline="Spring"
    )
    return [campaign.pk, variant.pk] + (["pause"] if suffix == "_status" else [])


def admin_outcome(response) -> str:
    if response.status_code == 302 and response.url.startswith(reverse("admin:login")):
        return "L"
    return {403: "D", 404: "H"}.get(response.status_code, "A")


ADMIN_MODEL_CELLS = [
    pytest.param(row, caller, expected, id=f"{row} | {caller}")
    for row, outcomes in ADMIN_MODEL_MATRIX.items()
    for caller, expected in zip(ADMIN_CALLERS, cells(outcomes), strict=True)
]
ADMIN_PAGE_CELLS = [
    pytest.param(name, method, caller, expected, id=f"{name} | {caller}")
    for name, (method, outcomes) in ADMIN_PAGE_MATRIX.items()
    for caller, expected in zip(ADMIN_CALLERS, cells(outcomes), strict=True)
]


@pytest.mark.parametrize(("row", "caller", "expected"), ADMIN_MODEL_CELLS)
def test_admin_model_page_access(row, caller, expected, world):
    client = admin_client_for(caller, world)

    response = client.get(model_page_url(row))

    assert admin_outcome(response) == expected, response.status_code


@pytest.mark.parametrize(("name", "method", "caller", "expected"), ADMIN_PAGE_CELLS)
def test_admin_page_access(name, method, caller, expected, world):
    client = admin_client_for(caller, world)

    response = client.generic(method, admin_page_url(name, world))

    assert admin_outcome(response) == expected, response.status_code
