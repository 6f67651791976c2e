"""config.api.validated_query: a serializer's validation of query parameters, built once."""

import pytest
from django.http import QueryDict
from rest_framework import serializers
from rest_framework.exceptions import ValidationError

from config.api import validated_query


class Query(serializers.Serializer):
    limit = serializers.IntegerField(min_value=1, max_value=50, default=10)
    customer = serializers.IntegerField(min_value=1, required=False)
    session = serializers.CharField(max_length=5, required=False)


def by_serializer(query: str) -> dict:
    serializer = Query(data=QueryDict(query))
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


@pytest.mark.parametrize("query", ["", "limit=3", "customer=7&session=abc", "limit=50&other=x"])
def test_valid_parameters_give_what_the_serializer_gives(query):
    assert validated_query(Query, QueryDict(query)) == by_serializer(query)


@pytest.mark.parametrize(
    "query", ["limit=0", "limit=ten", "customer=-1&limit=99", "session=toolong"]
)
def test_bad_parameters_raise_the_serializer_s_field_errors(query):
    with pytest.raises(ValidationError) as ours:
        validated_query(Query, QueryDict(query))
    with pytest.raises(ValidationError) as theirs:
        by_serializer(query)

    assert ours.value.detail == theirs.value.detail
    assert set(ours.value.detail) == {part.split("=")[0] for part in query.split("&")}


def test_no_state_carries_over_between_calls():
    with pytest.raises(ValidationError):
        validated_query(Query, QueryDict("limit=0&customer=x"))

    assert validated_query(Query, QueryDict("customer=2")) == {"limit": 10, "customer": 2}
