"""The OpenAPI schema is generated without warnings and validates against the OpenAPI spec."""

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient


def test_schema_generates_and_validates_without_warnings(tmp_path):
    # `--fail-on-warn` turns every warning (unresolvable field, missing type) into an error,
    # `--validate` checks the result against the OpenAPI 3 JSON schema.
    target = tmp_path / "schema.yaml"

    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))

    assert target.read_text().startswith("openapi: 3.0.3")


@pytest.mark.django_db
def test_schema_is_served_at_api_schema():
    response = APIClient().get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")

    assert response.status_code == 200
    assert "/api/v1/products/" in response.json()["paths"]


@pytest.mark.django_db
def test_interactive_docs_are_served_at_api_docs():
    response = APIClient().get("/api/docs/")

    assert response.status_code == 200
    assert b"swagger-ui" in response.content
