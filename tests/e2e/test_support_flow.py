"""A shopper and a support agent in two real browsers: the shopper asks the chat widget a
question (answered from the knowledge base, with its source), then asks for a person; the
agent takes the handed-off conversation from the admin queue and replies; the shopper's
widget shows the reply (htmx polling). Real encoder, seeded knowledge base, live server."""

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command

from support.models import Handoff
from tests.e2e.conftest import PASSWORD, SCREENSHOTS, _open_page
from tests.factories.api import PASSWORD as CUSTOMER_PASSWORD
from tests.factories.api import CustomerFactory

playwright = pytest.importorskip(
    "playwright.sync_api", reason="needs the playwright package (pip install playwright)"
)
expect = playwright.expect

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

REPLY = "Hello, this is Alex from support: I have refunded the delivery charge for you."


@pytest.fixture
def agent(django_user_model):
    user = django_user_model.objects.create_user(
        username="alex", password=PASSWORD, is_staff=True, first_name="Alex"
    )
    user.groups.add(Group.objects.get(name="Support agents"))
    return user


@pytest.fixture
def agent_page(browser, live_server, request):
    yield from _open_page(browser, live_server, request)


def test_an_agent_takes_a_handed_off_chat_and_the_shopper_sees_the_reply(
    page, agent_page, agent, shot, live_server
):
    call_command("support_seed")  # intents, seed examples, articles, and the index
    customer = CustomerFactory()

    # The shopper signs in to the widget and asks about returns.
    page.goto("/support/chat/")
    page.fill("#id_username", customer.user.username)
    page.fill("#id_password", CUSTOMER_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/support/chat/")
    page.fill("#chat-text", "How many days do I have to return something?")
    page.click("form.send button[type=submit]")
    answer = page.locator(".msg--assistant").last
    expect(answer).to_contain_text("30 days")
    expect(page.locator(".sources").last).to_contain_text("Return")
    shot("support-1-widget-answer")

    page.fill("#chat-text", "I'd like to talk to a person, please.")
    page.click("form.send button[type=submit]")
    expect(page.locator(".notice")).to_contain_text("support team")
    handoff = Handoff.objects.get(conversation__customer=customer)

    # The agent finds it in the queue, takes it and replies.
    agent_page.goto("/admin/")
    agent_page.fill("#id_username", agent.username)
    agent_page.fill("#id_password", PASSWORD)
    agent_page.click("input[type=submit]")
    agent_page.goto("/admin/support/handoff/")
    agent_page.get_by_role("link", name=f"#{handoff.pk} — open the conversation").click()
    expect(agent_page.locator("#transcript")).to_contain_text("talk to a person")
    agent_page.get_by_role("button", name="Take this conversation").click()
    agent_page.fill("#reply-text", REPLY)
    agent_page.get_by_role("button", name="Send reply").click()
    expect(agent_page.locator("#transcript")).to_contain_text(REPLY)
    agent_page.screenshot(path=str(SCREENSHOTS / "support-2-agent-work.png"), full_page=True)

    # The shopper's widget picks the reply up on its next poll.
    expect(page.locator(".msg--agent")).to_contain_text(REPLY, timeout=15_000)
    shot("support-3-widget-agent-reply")
    handoff.refresh_from_db()
    assert handoff.agent == agent and handoff.first_response_at is not None
