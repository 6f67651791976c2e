"""Forms of the ML admin pages."""

from django import forms

from ml.job_kinds import job_kind_list


class JobStartForm(forms.Form):
    kind = forms.ChoiceField(label="Job kind")
    params = forms.JSONField(
        label="Parameters",
        required=False,
        initial=dict,
        widget=forms.Textarea(attrs={"rows": 8, "cols": 60, "class": "vLargeTextField"}),
        help_text="A JSON object; leave {} for the kind's defaults.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [("", "---------")] + [
            (spec.kind, spec.label) for spec in job_kind_list()
        ]

    def clean_params(self) -> dict:
        params = self.cleaned_data["params"]
        if params in (None, ""):
            return {}
        if not isinstance(params, dict):
            raise forms.ValidationError('Enter a JSON object, such as {"epochs": 3}.')
        return params
