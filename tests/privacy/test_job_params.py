"""Job parameters cannot carry personal data: every job kind's parameters are numbers, flags,
dates, choices, ids or patterns, except the few free-text fields listed here with the reason
they never hold a customer's data. A new kind with a free-text parameter fails this test until
someone decides (and writes down) why it is safe."""

import pytest
from rest_framework import serializers

from ml.job_kinds import job_kind_list

SAFE_FIELDS = (
    serializers.IntegerField,
    serializers.FloatField,
    serializers.DecimalField,
    serializers.BooleanField,
    serializers.DateField,
    serializers.DateTimeField,
    serializers.ChoiceField,
    serializers.RegexField,  # a pattern (task names)
    serializers.SlugField,  # letters, digits, hyphens (placements)
)
# (kind, field) -> why it cannot hold personal data.
FREE_TEXT_ALLOWED = {
    ("finetune_classifier", "path"): "a data file on the worker, named by staff",
    ("finetune_classifier", "test_path"): "a held-out data file on the worker, named by staff",
    ("finetune_classifier", "text_column"): "a column name of that file",
    ("finetune_classifier", "label_column"): "a column name of that file",
    ("finetune_generator_lora", "path"): "a data file on the worker, named by staff",
}


def _unsafe(field) -> bool:
    if isinstance(field, serializers.ListField):
        return _unsafe(field.child)
    return not isinstance(field, SAFE_FIELDS)


def free_text_params() -> set[tuple[str, str]]:
    found = set()
    for spec in job_kind_list():
        if spec.params_serializer is None or spec.kind.startswith("test_"):
            continue  # kinds that test modules register for themselves are not the product's
        for name, field in spec.params_serializer().fields.items():
            if _unsafe(field):
                found.add((spec.kind, name))
    return found


def test_no_job_kind_takes_free_text_except_the_listed_fields():
    assert free_text_params() - set(FREE_TEXT_ALLOWED) == set()


@pytest.mark.parametrize(
    ("field", "unsafe"),
    [
        (serializers.CharField(), True),
        (serializers.JSONField(), True),
        (serializers.ListField(child=serializers.CharField()), True),
        (serializers.ListField(child=serializers.IntegerField()), False),
        (serializers.ChoiceField(choices=["a"]), False),
    ],
)
def test_free_text_and_json_fields_count_as_able_to_carry_personal_data(field, unsafe):
    assert _unsafe(field) is unsafe
