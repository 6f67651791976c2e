"""Session-authenticated API requests that change data need the CSRF token, as in the admin;
token and API-key requests carry no cookies and need none."""

import pytest
from rest_framework.test import APIClient

from tests.factories.api import StaffFactory, grant, token_client

pytestmark = pytest.mark.django_db

URL = "/api/v1/jobs/"
BODY = {"kind": "rating_aggregates"}


@pytest.fixture
def staff():
    return grant(StaffFactory(), "ml.add_job", "ml.view_job")


@pytest.fixture
def session_client(staff) -> APIClient:
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(staff)
    return client


def test_session_post_without_the_csrf_token_is_refused(session_client):
    response = session_client.post(URL, BODY, format="json")

    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]


def test_session_post_with_the_csrf_token_is_accepted(session_client):
    # Any admin page sets the cookie; the browser sends it back with the X-CSRFToken header.
    session_client.get("/admin/")
    token = session_client.cookies["csrftoken"].value

    response = session_client.post(URL, BODY, format="json", HTTP_X_CSRFTOKEN=token)

    assert response.status_code == 201


def test_token_post_needs_no_csrf_token(staff):
    client = token_client(staff)
    client.handler.enforce_csrf_checks = True

    response = client.post(URL, BODY, format="json")

    assert response.status_code == 201
