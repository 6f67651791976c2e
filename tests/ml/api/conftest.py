import pytest
from rest_framework import serializers
from rest_framework.test import APIClient

from ml.job_kinds import JobContext, JobOutcome, job_task
from shop.models import ApiKey
from tests.factories.api import (
    CustomerFactory,
    StaffFactory,
    UserFactory,
    api_key_client,
    grant,
    session_client,
    token_client,
)


class LimitParams(serializers.Serializer):
    limit = serializers.IntegerField(min_value=1, max_value=100)


@job_task(kind="test_api_params", label="Test: kind with parameters", params_serializer=LimitParams)
def kind_with_params(ctx: JobContext) -> JobOutcome:
    return JobOutcome()


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def staff_user(db):
    """Staff who may view, submit and cancel jobs and view model versions (not move aliases)."""
    return grant(
        StaffFactory(), "ml.view_job", "ml.add_job", "ml.change_job", "ml.view_modelversion"
    )


@pytest.fixture
def staff_client(staff_user) -> APIClient:
    return session_client(staff_user)


@pytest.fixture
def anonymous_client() -> APIClient:
    return APIClient()


@pytest.fixture(
    params=["plain_user", "customer", "storefront_key"],
)
def non_staff_client(request, db) -> APIClient:
    """Each kind of authenticated caller that is not staff."""
    if request.param == "plain_user":
        return token_client(UserFactory())
    if request.param == "customer":
        return token_client(CustomerFactory().user)
    return api_key_client(*ApiKey.Scope.values)
