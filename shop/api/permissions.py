"""Who may call the API: staff, customers (token), and the storefront server (API key scopes).

An anonymous request fails with 401 (the API-key scheme is announced in WWW-Authenticate); an
authenticated caller without the right role or scope gets 403.
"""

from rest_framework.permissions import BasePermission

from shop.api.authentication import StorefrontClient
from shop.models import ApiKey
from shop.selectors import customer_for_user


class IsStaff(BasePermission):
    """An active staff user, through a session or a token."""

    message = "Only staff may do this."

    def has_permission(self, request, view) -> bool:
        user = request.user
        return bool(
            user
            and user.is_authenticated
            and user.is_active
            and user.is_staff
            and not isinstance(user, StorefrontClient)
        )


class IsCustomer(BasePermission):
    """A user linked to a shop customer (usually through a customer token)."""

    message = "Only customers may do this."

    def has_permission(self, request, view) -> bool:
        return customer_for_user(user=request.user) is not None


class HasApiKeyScope(BasePermission):
    """An API-key request whose key holds one of `scopes`. Subclasses set `scopes`."""

    scopes: tuple[str, ...] = ()

    def has_permission(self, request, view) -> bool:
        user = request.user
        if not isinstance(user, StorefrontClient):
            return False
        return any(user.api_key.has_scope(scope) for scope in self.scopes)


class HasCatalogueReadScope(HasApiKeyScope):
    message = "This API key lacks the catalogue:read scope."
    scopes = (ApiKey.Scope.CATALOGUE_READ,)


class HasReviewsReadScope(HasApiKeyScope):
    message = "This API key lacks the catalogue:read or reviews:read scope."
    scopes = (ApiKey.Scope.CATALOGUE_READ, ApiKey.Scope.REVIEWS_READ)


class HasEventsWriteScope(HasApiKeyScope):
    message = "This API key lacks the events:write scope."
    scopes = (ApiKey.Scope.EVENTS_WRITE,)


class CanReadCatalogue(BasePermission):
    """Staff, or the storefront with catalogue:read (products and categories)."""

    message = "Requires a staff user or an API key with the catalogue:read scope."

    def has_permission(self, request, view) -> bool:
        return IsStaff().has_permission(request, view) or HasCatalogueReadScope().has_permission(
            request, view
        )


class CanReadReviews(BasePermission):
    """Staff, or the storefront with catalogue:read or reviews:read."""

    message = "Requires a staff user or an API key with the catalogue:read or reviews:read scope."

    def has_permission(self, request, view) -> bool:
        return IsStaff().has_permission(request, view) or HasReviewsReadScope().has_permission(
            request, view
        )


class StaffWithPermission(BasePermission):
    """Active staff holding `permission`: the model permission the admin asks for the same
    work, so the API opens nothing that the admin keeps shut. Subclasses set `permission`."""

    permission = ""

    def has_permission(self, request, view) -> bool:
        return IsStaff().has_permission(request, view) and request.user.has_perm(self.permission)


class CanViewAllOrders(StaffWithPermission):
    message = "Requires the shop.view_order permission."
    permission = "shop.view_order"


class CanViewOrders(BasePermission):
    """Staff who may view orders (they see every customer's), or a customer (their own)."""

    message = "Requires a customer token or a staff user with the shop.view_order permission."

    def has_permission(self, request, view) -> bool:
        return CanViewAllOrders().has_permission(request, view) or IsCustomer().has_permission(
            request, view
        )
