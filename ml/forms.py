"""Forms of the ML admin pages.

The start-job page has two modes. A kind with a `params_serializer` gets a real form built
from the serializer's fields (`JobParamsForm`); a kind without one, or anyone who asks for
it, types the parameters as a JSON object (`JobStartForm.params`). Either way the kind's
serializer, run by `ml.services.job_submit`, has the last word on the values.
"""

import datetime
import decimal
from typing import Any

from django import forms
from django.http import QueryDict
from rest_framework import serializers
from rest_framework.fields import empty

from ml.job_kinds import job_kind_list

# DRF fields whose values are lists or objects: typed as JSON.
STRUCTURED_FIELDS = (
    serializers.ListField,
    serializers.DictField,
    serializers.JSONField,
    serializers.Serializer,
)


class JobStartForm(forms.Form):
    kind = forms.ChoiceField(label="Job kind")
    params = forms.JSONField(
        label="Parameters",
        required=False,
        initial=dict,
        widget=forms.Textarea(attrs={"rows": 8, "cols": 60, "class": "vLargeTextField"}),
        help_text="A JSON object; leave {} for the kind's defaults.",
    )

    def __init__(self, *args, json_params: bool = True, kind_change_url: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [("", "---------")] + [
            (spec.kind, spec.label) for spec in job_kind_list()
        ]
        if kind_change_url:
            # Choosing a kind swaps in its parameters (and puts ?kind= in the address bar).
            self.fields["kind"].widget.attrs.update(
                {
                    "hx-get": kind_change_url,
                    "hx-trigger": "change",
                    "hx-target": "#job-params",
                    "hx-swap": "outerHTML",
                    "hx-push-url": "true",
                }
            )
        if not json_params:
            # The parameters come from a JobParamsForm instead.
            del self.fields["params"]

    def clean_params(self) -> dict:
        params = self.cleaned_data["params"]
        if params in (None, ""):
            return {}
        if not isinstance(params, dict):
            raise forms.ValidationError('Enter a JSON object, such as {"epochs": 3}.')
        return params


class JobParamsForm(forms.Form):
    """A form with one field per writable field of a DRF serializer (a job kind's params).

    Defaults become initial values (overridden by `initial`); optional fields left empty are
    not sent, so the serializer applies its own defaults.
    """

    def __init__(self, *args, serializer_class: type[serializers.Serializer], **kwargs):
        super().__init__(*args, **kwargs)
        for name, drf_field in serializer_class().fields.items():
            form_field = form_field_for(drf_field)
            if form_field is not None:
                self.fields[name] = form_field

    def initial_from_query(self, query: QueryDict) -> None:
        """Pre-fill fields named in the query string (`?task=sentiment&epochs=3`)."""
        for name, field in self.fields.items():
            if name not in query:
                continue
            if isinstance(field, forms.BooleanField):
                self.initial[name] = query[name].lower() in ("1", "true", "yes", "on")
            elif isinstance(field, forms.MultipleChoiceField):
                self.initial[name] = query.getlist(name)
            else:
                self.initial[name] = query[name]

    def params(self) -> dict[str, Any]:
        """The cleaned values as JSON-ready parameters for the kind's serializer."""
        params: dict[str, Any] = {}
        for name, value in self.cleaned_data.items():
            field = self.fields[name]
            if not isinstance(field, forms.BooleanField) and value in (None, "", [], {}):
                continue
            params[name] = _json_ready(value)
        return params


def form_field_for(field: serializers.Field) -> forms.Field | None:
    """The Django form field that edits a DRF field; None for fields nobody types in."""
    if field.read_only or isinstance(field, serializers.HiddenField):
        return None
    options: dict[str, Any] = {
        "label": field.label,
        "help_text": field.help_text or "",
        "required": bool(field.required) and not field.allow_null,
    }
    default = _default_of(field)
    if default is not None:
        options["initial"] = default

    if isinstance(field, serializers.BooleanField):
        return forms.BooleanField(**{**options, "required": False})
    if isinstance(field, serializers.MultipleChoiceField):
        return forms.MultipleChoiceField(choices=_choices(field), **options)
    if isinstance(field, serializers.ChoiceField):
        choices = _choices(field)
        if not options["required"] and default is None:
            choices = [("", "---------"), *choices]
        return forms.ChoiceField(choices=choices, **options)
    if isinstance(field, serializers.IntegerField):
        return forms.IntegerField(min_value=field.min_value, max_value=field.max_value, **options)
    if isinstance(field, serializers.FloatField):
        return forms.FloatField(min_value=field.min_value, max_value=field.max_value, **options)
    if isinstance(field, serializers.DecimalField):
        return forms.DecimalField(
            min_value=field.min_value,
            max_value=field.max_value,
            max_digits=field.max_digits,
            decimal_places=field.decimal_places,
            **options,
        )
    if isinstance(field, serializers.DateTimeField):
        return forms.DateTimeField(
            widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
            **options,
        )
    if isinstance(field, serializers.DateField):
        return forms.DateField(
            widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"), **options
        )
    if isinstance(field, serializers.EmailField):
        return forms.EmailField(max_length=field.max_length, **options)
    if isinstance(field, serializers.URLField):
        return forms.URLField(max_length=field.max_length, **options)
    if isinstance(field, serializers.CharField):
        textarea = field.style.get("base_template") == "textarea.html"
        return forms.CharField(
            max_length=field.max_length,
            min_length=field.min_length,
            widget=forms.Textarea(attrs={"rows": 4}) if textarea else forms.TextInput,
            **options,
        )
    if isinstance(field, STRUCTURED_FIELDS):
        return forms.JSONField(
            widget=forms.Textarea(attrs={"rows": 4, "cols": 60, "class": "vLargeTextField"}),
            **options,
        )
    return forms.CharField(**options)


def _choices(field: serializers.ChoiceField) -> list[tuple[Any, str]]:
    return [(value, str(label)) for value, label in field.choices.items()]


def _default_of(field: serializers.Field) -> Any:
    default = field.default
    if default is empty:
        return None
    if callable(default):
        if getattr(default, "requires_context", False):
            return None
        default = default()
    return default


def _json_ready(value: Any) -> Any:
    if isinstance(value, datetime.date | datetime.datetime):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    return value
