"""Who may read recommendations: staff, the storefront (recommendations:read), a customer."""

from rest_framework.permissions import BasePermission

from shop.api.permissions import HasApiKeyScope, HasEventsWriteScope, IsCustomer, IsStaff
from shop.models import ApiKey


class HasRecommendationsReadScope(HasApiKeyScope):
    message = "This API key lacks the recommendations:read scope."
    scopes = (ApiKey.Scope.RECOMMENDATIONS_READ,)


class CanReadRecommendations(BasePermission):
    """Staff, the storefront with recommendations:read, or a signed-in customer (whose
    personal list is always their own: the view ignores another customer's id)."""

    message = "Requires staff, an API key with recommendations:read, or a customer token."

    def has_permission(self, request, view) -> bool:
        return (
            IsStaff().has_permission(request, view)
            or HasRecommendationsReadScope().has_permission(request, view)
            or IsCustomer().has_permission(request, view)
        )


class CanReportListEvents(BasePermission):
    message = "Requires an API key with the events:write scope."

    def has_permission(self, request, view) -> bool:
        return HasEventsWriteScope().has_permission(request, view)
