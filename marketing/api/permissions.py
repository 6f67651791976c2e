"""Who may use the ads API: the storefront (ads:read to choose, events:write to report), staff,
and staff allowed to view campaigns for the report."""

from rest_framework.permissions import BasePermission

from shop.api.permissions import HasApiKeyScope, HasEventsWriteScope, IsStaff, StaffWithPermission
from shop.models import ApiKey


class HasAdsReadScope(HasApiKeyScope):
    message = "This API key lacks the ads:read scope."
    scopes = (ApiKey.Scope.ADS_READ,)


class CanReadAds(BasePermission):
    message = "Requires a staff user or an API key with the ads:read scope."

    def has_permission(self, request, view) -> bool:
        return IsStaff().has_permission(request, view) or HasAdsReadScope().has_permission(
            request, view
        )


class CanReportAdEvents(BasePermission):
    message = "Requires a staff user or an API key with the events:write scope."

    def has_permission(self, request, view) -> bool:
        return IsStaff().has_permission(request, view) or HasEventsWriteScope().has_permission(
            request, view
        )


class CanViewCampaigns(StaffWithPermission):
    message = "Requires the marketing.view_campaign permission."
    permission = "marketing.view_campaign"
