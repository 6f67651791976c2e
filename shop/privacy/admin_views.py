"""The customer admin's privacy pages: download the customer's data as JSON, and erase them
after a confirmation page. Each checks its permission, calls one selector or service and
renders."""

from __future__ import annotations

import json

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.serializers.json import DjangoJSONEncoder
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse

from audit.models import PrivacyRequest
from shop.models import Customer
from shop.privacy import selectors, services
from shop.privacy.exceptions import CustomerAlreadyErased, CustomerNotFound

EXPORT_PERMISSION = "audit.export_customer_data"
ERASE_PERMISSION = "audit.erase_customer"


def _customer(model_admin, request, object_id: str) -> Customer:
    customer = model_admin.get_object(request, object_id)
    if customer is None:
        raise Http404("No such customer.")
    return customer


def customer_export_view(request, *, model_admin, object_id: str) -> HttpResponse:
    if not (model_admin.has_view_permission(request) and request.user.has_perm(EXPORT_PERMISSION)):
        raise PermissionDenied
    customer = _customer(model_admin, request, object_id)
    data = selectors.customer_export(customer_id=customer.pk)
    services.privacy_export_record(
        customer_id=customer.pk, user=request.user, via=PrivacyRequest.Via.ADMIN
    )
    response = HttpResponse(
        json.dumps(data, cls=DjangoJSONEncoder, indent=2), content_type="application/json"
    )
    response["Content-Disposition"] = f'attachment; filename="customer-{customer.pk}.json"'
    return response


def customer_erase_view(request, *, model_admin, object_id: str) -> HttpResponse:
    if not (model_admin.has_view_permission(request) and request.user.has_perm(ERASE_PERMISSION)):
        raise PermissionDenied
    customer = _customer(model_admin, request, object_id)
    change_url = reverse("admin:shop_customer_change", args=[customer.pk])
    if request.method == "POST":
        try:
            record = services.customer_erase(
                customer_id=customer.pk, user=request.user, via=PrivacyRequest.Via.ADMIN
            )
        except (CustomerAlreadyErased, CustomerNotFound) as exc:
            model_admin.message_user(request, exc.message, messages.ERROR)
        else:
            model_admin.message_user(
                request,
                f"Customer {customer.pk} was erased (privacy request #{record.pk}); "
                f"{len(record.flagged_versions)} model version(s) flagged for retraining.",
                messages.SUCCESS,
            )
        return HttpResponseRedirect(change_url)
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.opts,
        "title": "Erase this customer's personal data?",
        "customer": customer,
        "already_erased": customer.erased_at is not None,
        "counts": {
            "orders (kept, on an anonymous placeholder)": customer.orders.count(),
            "reviews (text removed, rating kept)": customer.reviews.count(),
            "behaviour events (deleted)": customer.events.count(),
        },
        "change_url": change_url,
    }
    return TemplateResponse(request, "admin/shop/customer/erase_confirm.html", context)
