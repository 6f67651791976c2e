"""The agent flow end to end: a shopper asks for a person through the API, an agent finds the
conversation in the admin queue, takes it, replies (the shopper reads the reply through the
API) and resolves it; the times are recorded. Plus the support dashboard."""

import pytest
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import reverse

from support import services
from support.models import Conversation, Handoff, Message
from tests.factories.api import CustomerFactory, StaffFactory, token_client

pytestmark = pytest.mark.django_db
BASE = "/api/v1/support/conversations/"


def _staff(group: str) -> Client:
    user = StaffFactory()
    user.groups.add(Group.objects.get(name=group))
    client = Client()
    client.force_login(user)
    client.user = user
    return client


@pytest.fixture
def handed_off(tiny_encoder, plain_answers, settings):
    settings.SUPPORT_REPEAT_SIMILARITY = 1.01  # the tiny encoder finds all texts alike
    customer = CustomerFactory()
    shopper = token_client(customer.user)
    conversation = shopper.post(BASE, {}, format="json").json()
    url = f"{BASE}{conversation['id']}/messages/"
    shopper.post(url, {"text": "My email is jane@example.com, call 07700 900123"}, format="json")
    turn = shopper.post(url, {"text": "I want to speak to a person"}, format="json").json()
    return {"shopper": shopper, "url": url, "turn": turn, "handoff": Handoff.objects.get()}


def test_agent_takes_replies_and_resolves_and_the_shopper_sees_the_reply(handed_off):
    agent = _staff("Support agents")
    handoff = handed_off["handoff"]
    work = reverse("admin:support_handoff_work", args=[handoff.pk])
    assert handed_off["turn"]["handed_off"] is True

    queue = agent.get(reverse("admin:support_handoff_changelist"))
    before = agent.get(work)
    taken = agent.post(work, {"action": "take"})
    after = agent.get(work)
    replied = agent.post(work, {"action": "reply", "text": "Hi, I'm Sam. How can I help?"})
    shopper_view = handed_off["shopper"].get(handed_off["url"]).json()
    resolved = agent.post(work, {"action": "resolve"})

    assert queue.status_code == 200 and work.encode() in queue.content
    assert b"[email]" in before.content and b"jane@example.com" not in before.content
    assert taken.status_code == replied.status_code == resolved.status_code == 302
    assert b"jane@example.com" in after.content  # the assigned agent reads it as written
    assert shopper_view[-1]["role"] == "agent"
    assert shopper_view[-1]["text"] == "Hi, I'm Sam. How can I help?"
    handoff.refresh_from_db()
    assert handoff.status == Handoff.Status.RESOLVED
    assert handoff.agent == agent.user
    assert handoff.created_at <= handoff.taken_at <= handoff.first_response_at
    assert handoff.first_response_at <= handoff.resolved_at
    conversation = handoff.conversation
    conversation.refresh_from_db()
    assert conversation.status == Conversation.Status.CLOSED
    assert conversation.assigned_agent == agent.user


def test_after_resolving_the_assistant_answers_again(handed_off):
    agent = StaffFactory()
    services.handoff_resolve(handoff_id=handed_off["handoff"].pk, agent=agent)

    turn = handed_off["shopper"].post(handed_off["url"], {"text": "thanks"}, format="json").json()

    assert turn["reply"]["role"] == "assistant"
    assert turn["status"] == Conversation.Status.OPEN


def test_only_one_agent_can_take_a_conversation(handed_off):
    first, second = _staff("Support agents"), _staff("Support agents")
    work = reverse("admin:support_handoff_work", args=[handed_off["handoff"].pk])
    first.post(work, {"action": "take"})

    response = second.post(work, {"action": "reply", "text": "me too"})

    assert response.status_code == 400
    assert b"taken by another agent" in response.content
    assert not Message.objects.filter(role=Message.Role.AGENT).exists()


def test_an_empty_reply_is_refused(handed_off):
    agent = _staff("Support agents")
    work = reverse("admin:support_handoff_work", args=[handed_off["handoff"].pk])

    response = agent.post(work, {"action": "reply", "text": "   "})

    assert response.status_code == 400
    assert not Message.objects.filter(role=Message.Role.AGENT).exists()
    assert Handoff.objects.get().taken_at is None


def test_store_staff_see_the_queue_but_cannot_work_it(handed_off):
    staff = _staff("Store staff")
    work = reverse("admin:support_handoff_work", args=[handed_off["handoff"].pk])

    assert staff.get(reverse("admin:support_handoff_changelist")).status_code == 200
    assert staff.post(work, {"action": "take"}).status_code == 403
    assert Handoff.objects.get().agent is None


def test_other_staff_read_the_conversation_redacted_in_the_admin(handed_off):
    staff = _staff("Store staff")
    page = reverse(
        "admin:support_conversation_change", args=[handed_off["handoff"].conversation_id]
    )

    response = staff.get(page)

    assert response.status_code == 200
    assert b"jane@example.com" not in response.content and b"[email]" in response.content
    assert b"07700 900123" not in response.content


def test_dashboard_counts_containment_reasons_and_satisfaction(handed_off):
    shopper = handed_off["shopper"]
    other = shopper.post(BASE, {}, format="json").json()
    reply = shopper.post(f"{BASE}{other['id']}/messages/", {"text": "hi"}, format="json").json()
    shopper.post(f"{BASE}{other['id']}/rating/", {"rating": 5}, format="json")
    shopper.post(
        f"{BASE}{other['id']}/messages/{reply['reply']['id']}/rating/",
        {"helpful": True},
        format="json",
    )
    staff = _staff("Store staff")

    page = staff.get(reverse("admin:support_handoff_dashboard"))
    charts = {
        name: staff.get(reverse("admin:support_handoff_dashboard_chart", args=[name])).json()
        for name in ("intents", "containment", "reasons", "satisfaction")
    }

    assert page.status_code == 200 and b"Containment" in page.content
    assert charts["containment"]["series"][0]["data"][-1] == 50.0  # 1 of 2 without a person
    reasons = dict(
        zip(charts["reasons"]["labels"], charts["reasons"]["series"][0]["data"], strict=True)
    )
    assert reasons["Shopper asked for a person"] == 1
    satisfaction = {s["key"]: s["data"][-1] for s in charts["satisfaction"]["series"]}
    assert satisfaction == {"rating": 5.0, "helpful": 100.0}
    assert sum(s["data"][-1] for s in charts["intents"]["series"]) == 3  # shopper messages


def test_an_unknown_chart_is_404(handed_off):
    staff = _staff("Store staff")

    response = staff.get(reverse("admin:support_handoff_dashboard_chart", args=["nope"]))

    assert response.status_code == 404
