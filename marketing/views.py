"""The marketer's copy workbench in the admin (htmx): per campaign, generate variants with a
progress bar, list them with their check outcome and rejection reasons, edit one inline
(checked again on save), approve, pause, regenerate one, and compare variants side by side
with their test statistics.

Wired into the admin by `marketing.admin.CampaignAdmin.get_urls`, so `admin_view` has already
checked that the user is active staff; each view checks its permission: viewing needs
`marketing.view_adcopy`, every change `marketing.change_adcopy` (Marketers; not Support
agents). Views parse input, call `marketing.selectors` / `marketing.services` and render.
"""

from __future__ import annotations

from django import forms
from django.contrib.admin import ModelAdmin
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.views.decorators.http import require_POST
from rest_framework.exceptions import ValidationError as ParamsValidationError

from marketing import selectors, services
from marketing.exceptions import AdCopyNotApprovable
from marketing.models import AdCopy, Campaign
from marketing.tasks import MAX_VARIANTS
from ml import selectors as ml_selectors
from ml import services as ml_services

GENERATE_KIND = "adcopy_generate"
STATUS_MOVES = {
    "approve": AdCopy.Status.APPROVED,
    "pause": AdCopy.Status.PAUSED,
    "draft": AdCopy.Status.DRAFT,
    "retire": AdCopy.Status.RETIRED,
}
COMPARE_MAX = 6


class GenerateForm(forms.Form):
    variants = forms.IntegerField(min_value=1, max_value=MAX_VARIANTS, initial=4)
    product = forms.IntegerField(
        min_value=1, required=False, help_text="A product id; empty: the campaign's products."
    )
    placement = forms.SlugField(max_length=64, initial="product-page")


class VariantEditForm(forms.ModelForm):
    class Meta:
        model = AdCopy
        fields = ["headline", "body", "call_to_action"]
        widgets = {"body": forms.Textarea(attrs={"rows": 3, "cols": 40})}


def _require(request: HttpRequest, action: str) -> None:
    if not request.user.has_perm(f"marketing.{action}_adcopy"):
        raise PermissionDenied


def _campaign(campaign_id) -> Campaign:
    campaign = selectors.campaign_get(campaign_id=int(campaign_id))
    if campaign is None:
        raise Http404("No such campaign.")
    return campaign


def _variant(campaign: Campaign, variant_id) -> AdCopy:
    variant = selectors.adcopy_get(adcopy_id=int(variant_id))
    if variant is None or variant.campaign_id != campaign.pk:
        raise Http404("No such variant in this campaign.")
    return variant


def _no_store(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = "no-store"
    return response


def _row(request, campaign, variant, *, form=None, message="", status=200) -> HttpResponse:
    context = {
        "campaign": campaign,
        "variant": variant,
        "form": form,
        "message": message,
        "can_change": request.user.has_perm("marketing.change_adcopy"),
    }
    template = "marketing/copy/variant_edit.html" if form else "marketing/copy/variant_row.html"
    return _no_store(TemplateResponse(request, template, context, status=status))


def workbench(request: HttpRequest, *, model_admin: ModelAdmin, campaign_id) -> HttpResponse:
    """The campaign's copy page: the generate form, the latest generation's progress, the
    variants."""
    _require(request, "view")
    campaign = _campaign(campaign_id)
    job_id = request.GET.get("job")
    job = None
    if job_id and job_id.isdigit():
        job = _generation_job(campaign, job_id)
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": Campaign._meta,
        "title": f"Ad copy of {campaign.name}",
        "subtitle": None,
        "campaign": campaign,
        "variants": selectors.campaign_variants(campaign_id=campaign.pk),
        "form": GenerateForm(),
        "job": job,
        "poll": job is not None and not job.is_finished,
        "can_change": request.user.has_perm("marketing.change_adcopy"),
    }
    return TemplateResponse(request, "marketing/copy/workbench.html", context)


def variants(request: HttpRequest, *, campaign_id) -> HttpResponse:
    """The variants table (refreshed when a generation finishes)."""
    _require(request, "view")
    campaign = _campaign(campaign_id)
    context = {
        "campaign": campaign,
        "variants": selectors.campaign_variants(campaign_id=campaign.pk),
        "can_change": request.user.has_perm("marketing.change_adcopy"),
    }
    return _no_store(TemplateResponse(request, "marketing/copy/variants.html", context))


def _generation_job(campaign: Campaign, job_id):
    job = ml_selectors.job_list(kind=GENERATE_KIND).filter(pk=int(job_id)).first()
    if job is None or job.params.get("campaign") != campaign.pk:
        raise Http404("No such generation of this campaign.")
    return job


def _progress(request, campaign, job, *, status=200) -> HttpResponse:
    context = {"campaign": campaign, "job": job, "poll": not job.is_finished}
    response = TemplateResponse(request, "marketing/copy/progress.html", context, status=status)
    if job.is_finished:
        response["HX-Trigger"] = "copy-generated"  # the page reloads its variants
    return _no_store(response)


def generation_progress(request: HttpRequest, *, campaign_id, job_id) -> HttpResponse:
    """A generation's progress bar; polls itself until the job ends, then reloads the list."""
    _require(request, "view")
    campaign = _campaign(campaign_id)
    return _progress(request, campaign, _generation_job(campaign, job_id))


def _submit(request, campaign: Campaign, params: dict) -> HttpResponse:
    try:
        job = ml_services.job_submit(
            kind=GENERATE_KIND, params={"campaign": campaign.pk, **params}, created_by=request.user
        )
    except ParamsValidationError as exc:
        errors = exc.detail if isinstance(exc.detail, dict) else {"params": exc.detail}
        context = {"campaign": campaign, "errors": errors}
        return _no_store(
            TemplateResponse(request, "marketing/copy/generate_errors.html", context, status=400)
        )
    return _progress(request, campaign, job, status=202)


@require_POST
def generate(request: HttpRequest, *, campaign_id) -> HttpResponse:
    """Queue a generation of N variants per product; answers its progress bar (202), or the
    field errors (400) and nothing queued."""
    _require(request, "change")
    _require(request, "add")
    campaign = _campaign(campaign_id)
    form = GenerateForm(request.POST)
    if not form.is_valid():
        context = {"campaign": campaign, "errors": form.errors}
        return _no_store(
            TemplateResponse(request, "marketing/copy/generate_errors.html", context, status=400)
        )
    params = {k: v for k, v in form.cleaned_data.items() if v not in (None, "")}
    return _submit(request, campaign, params)


@require_POST
def regenerate(request: HttpRequest, *, campaign_id, variant_id) -> HttpResponse:
    """Queue one new variant in place of this one (retired when the new one is written)."""
    _require(request, "change")
    _require(request, "add")
    campaign = _campaign(campaign_id)
    variant = _variant(campaign, variant_id)
    return _submit(request, campaign, {"replace": variant.pk})


def variant_row(request: HttpRequest, *, campaign_id, variant_id) -> HttpResponse:
    _require(request, "view")
    campaign = _campaign(campaign_id)
    return _row(request, campaign, _variant(campaign, variant_id))


def variant_edit(request: HttpRequest, *, campaign_id, variant_id) -> HttpResponse:
    """GET: the row as a form. POST: save and check again (a rejected variant goes back to
    draft and shows why); bad input is a 400 with the form's errors and nothing saved."""
    _require(request, "change")
    campaign = _campaign(campaign_id)
    variant = _variant(campaign, variant_id)
    if request.method != "POST":
        return _row(request, campaign, variant, form=VariantEditForm(instance=variant))
    form = VariantEditForm(request.POST, instance=variant)
    if not form.is_valid():
        return _row(request, campaign, variant, form=form, status=400)
    result = services.adcopy_check_and_save(adcopy=form.save(commit=False), user=request.user)
    message = (
        "The checks rejected the edit; it is a draft again."
        if result.outcome == "rejected"
        else "Saved; the checks passed."
    )
    return _row(request, campaign, _variant(campaign, variant_id), message=message)


@require_POST
def variant_status(request: HttpRequest, *, campaign_id, variant_id, move: str) -> HttpResponse:
    """Approve, pause, back to draft or retire one variant; a rejected one cannot be
    approved (409 with the reason)."""
    _require(request, "change")
    campaign = _campaign(campaign_id)
    variant = _variant(campaign, variant_id)
    status = STATUS_MOVES.get(move)
    if status is None:
        raise Http404("No such status change.")
    if status == AdCopy.Status.APPROVED:
        try:
            services.adcopy_approve(adcopy=variant)
        except AdCopyNotApprovable as exc:
            return _row(request, campaign, variant, message=str(exc.message), status=409)
    else:
        services.adcopy_set_status(adcopy_ids=[variant.pk], status=status)
    return _row(request, campaign, _variant(campaign, variant_id))


def compare(request: HttpRequest, *, model_admin: ModelAdmin, campaign_id) -> HttpResponse:
    """Chosen variants side by side: their copy, check outcome and test statistics (the
    campaign report's rows)."""
    _require(request, "view")
    campaign = _campaign(campaign_id)
    try:
        ids = [int(v) for v in request.GET.getlist("ids")]
    except ValueError:
        ids = []
    if not 2 <= len(set(ids)) <= COMPARE_MAX:
        context = {"campaign": campaign, "errors": {"ids": [f"Pick 2 to {COMPARE_MAX} variants."]}}
        return _no_store(
            TemplateResponse(request, "marketing/copy/generate_errors.html", context, status=400)
        )
    report = selectors.campaign_report(campaign=campaign)
    rows = {row["variant"]: row for row in report["variants"]}
    by_id = {v.pk: v for v in selectors.campaign_variants(campaign_id=campaign.pk)}
    columns = [
        {"variant": by_id[pk], "stats": rows[pk]}
        for pk in dict.fromkeys(ids)
        if pk in by_id and pk in rows
    ]
    if len(columns) != len(set(ids)):
        raise Http404("No such variant in this campaign.")
    context = {"campaign": campaign, "columns": columns, "report": report}
    template = "marketing/copy/compare_table.html"
    if not request.htmx:
        template = "marketing/copy/compare_page.html"
        context.update(
            model_admin.admin_site.each_context(request),
            opts=Campaign._meta,
            title=f"Compare variants of {campaign.name}",
            subtitle=None,
        )
    return _no_store(TemplateResponse(request, template, context))
