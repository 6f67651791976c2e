"""What each staff group sees on the admin index: the pages its work needs, and none of the ones
it has no business in. Marketers the marketing pages, Support agents the queue, Data scientists
the models and jobs, Store staff everything store-related. (Whether a page answers is the
access matrix's business, tests/security/test_access_matrix.py; this is about the menus.)"""

import re

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from tests.factories.api import StaffFactory

pytestmark = pytest.mark.django_db


def changelist(label: str) -> str:
    app_label, model_name = label.split(".")
    return reverse(f"admin:{app_label}_{model_name}_changelist")


def add(label: str) -> str:
    app_label, model_name = label.split(".")
    return reverse(f"admin:{app_label}_{model_name}_add")


def content_links(html: str) -> set[str]:
    """The hrefs of the links in the page's #content (on the index: the modules and the app
    list; not the header, which is the same for everyone), without query strings."""
    content = html[html.index('<div id="content"') : html.index('<footer id="footer"')]
    return {href.split("?")[0] for href in re.findall(r'<a [^>]*href="([^"]+)"', content)}


def index_links(client, group: str) -> set[str]:
    user = StaffFactory()
    user.groups.add(Group.objects.get(name=group))
    client.force_login(user)
    response = client.get(reverse("admin:index"))
    assert response.status_code == 200
    links = content_links(response.content.decode())
    assert reverse("insights:home") in links  # the content was found
    return links


MARKETING = [
    "marketing.campaign",
    "marketing.adcopy",
    "marketing.brandvoice",
    "marketing.channellimit",
    "marketing.adevent",
]
SUPPORT_QUEUE = ["support.handoff", "support.conversation"]
MODELS_AND_JOBS = ["ml.job", "ml.modelversion", "ml.modelalias", "ml.aliaschange"]
STORE = ["shop.category", "shop.product", "shop.customer", "shop.order", "shop.review"]
PRIVACY = ["audit.privacyrequest"]
ADMINISTRATORS_ONLY = ["auth.user", "auth.group", "shop.apikey", "authtoken.tokenproxy"]


def test_a_marketer_sees_the_marketing_pages_and_nothing_of_support_models_or_privacy(client):
    links = index_links(client, "Marketers")

    needed = {changelist(m) for m in MARKETING} | {
        add("marketing.campaign"),
        add("marketing.adcopy"),
        add("marketing.brandvoice"),
        changelist("shop.product"),
        changelist("ml.job"),  # the generations and brand-voice fine-tunes they start
        reverse("insights:dashboard"),
        reverse("insights:forecasts"),
    }
    unwanted = {changelist(m) for m in SUPPORT_QUEUE + PRIVACY + ADMINISTRATORS_ONLY} | {
        changelist("ml.modelversion"),
        changelist("ml.modelalias"),
        reverse("admin:ml_modelversion_registry"),
        reverse("admin:support_handoff_dashboard"),
        changelist("shop.customer"),
        changelist("shop.order"),
        changelist("audit.auditentry"),
        add("shop.product"),
    }
    assert needed - links == set()
    assert unwanted & links == set()


def test_a_support_agent_sees_the_queue_and_no_ad_copy_models_or_jobs(client):
    links = index_links(client, "Support agents")

    needed = {changelist(m) for m in SUPPORT_QUEUE} | {
        reverse("admin:support_handoff_dashboard"),
        changelist("support.article"),
        changelist("shop.customer"),
        changelist("shop.order"),
    }
    unwanted = {changelist(m) for m in MARKETING + MODELS_AND_JOBS} | {
        changelist(m) for m in PRIVACY + ADMINISTRATORS_ONLY
    }
    unwanted |= {
        reverse("admin:ml_modelversion_registry"),
        reverse("insights:forecasts"),
        add("ml.job"),
        add("shop.order"),
    }
    assert needed - links == set()
    assert unwanted & links == set()


def test_a_data_scientist_sees_models_and_jobs_and_no_privacy_requests_or_store_edits(client):
    links = index_links(client, "Data scientists")

    needed = {changelist(m) for m in MODELS_AND_JOBS} | {
        add("ml.job"),
        reverse("admin:ml_modelversion_registry"),
        changelist("audit.auditentry"),  # promotions, roll-backs and jobs
        changelist("insights.reviewlabelcorrection"),
        changelist("support.intent"),
    }
    unwanted = {changelist(m) for m in PRIVACY + ADMINISTRATORS_ONLY} | {
        add(m) for m in STORE + ["marketing.campaign", "marketing.adcopy"]
    }
    assert needed - links == set()
    assert unwanted & links == set()


def test_store_staff_see_everything_store_related_but_administration(client):
    links = index_links(client, "Store staff")

    needed = (
        {changelist(m) for m in STORE + PRIVACY + MARKETING + SUPPORT_QUEUE + MODELS_AND_JOBS}
        | {add(m) for m in STORE}
        | {
            changelist("audit.auditentry"),
            reverse("admin:ml_modelversion_registry"),
            reverse("admin:support_handoff_dashboard"),
            reverse("insights:dashboard"),
            reverse("insights:segments"),
            reverse("insights:forecasts"),
            reverse("insights:reorder"),
            changelist("insights.pricesuggestion"),
        }
    )
    # Copy is the marketers' to write; administration is the superusers'.
    unwanted = {changelist(m) for m in ADMINISTRATORS_ONLY} | {
        add("marketing.campaign"),
        add("marketing.adcopy"),
    }
    assert needed - links == set()
    assert unwanted & links == set()


@pytest.mark.parametrize(
    ("group", "shown", "hidden"),
    [
        ("Marketers", ["Ad copy by campaign", "Jobs", "Sales forecasts", "Purchase propensity"],
         ["Support queue", "Support dashboard", "Model registry"]),
        ("Support agents", ["Support queue", "Support dashboard"],
         ["Ad copy by campaign", "Model registry", "Jobs", "Sales forecasts",
          "Purchase propensity"]),
        ("Data scientists", ["Model registry", "Jobs", "Sales forecasts", "Purchase propensity"],
         []),
        ("Store staff", ["Ad copy by campaign", "Support queue", "Model registry", "Jobs",
                         "Sales forecasts", "Purchase propensity"], []),
    ],
)  # fmt: skip
def test_the_work_pages_module_lists_each_groups_starting_points(client, group, shown, hidden):
    user = StaffFactory()
    user.groups.add(Group.objects.get(name=group))
    client.force_login(user)
    html = client.get(reverse("admin:index")).content.decode()
    start = html.index('id="work-pages"')
    module = html[start : html.index("</table>", start)]
    for name in shown:
        assert f">{name}</a>" in module, name
    for name in hidden:
        assert f">{name}</a>" not in module, name


def test_staff_in_no_group_see_no_work_pages(client):
    client.force_login(StaffFactory())
    html = client.get(reverse("admin:index")).content.decode()
    assert 'id="work-pages"' not in html


def test_the_sidebar_of_a_marketing_page_shows_a_marketer_no_support_or_models(client):
    user = StaffFactory()
    user.groups.add(Group.objects.get(name="Marketers"))
    client.force_login(user)
    html = client.get(changelist("marketing.campaign")).content.decode()
    sidebar = html[html.index('id="nav-sidebar"') :]
    assert f'href="{changelist("marketing.adcopy")}"' in sidebar
    for label in SUPPORT_QUEUE + ["ml.modelversion", "audit.privacyrequest"]:
        assert f'href="{changelist(label)}"' not in sidebar, label
