"""Who may chat: a customer (token or session: their own conversations), or the storefront's
API key with the support:chat scope (anonymous shoppers' conversations, each behind its own
secret)."""

from rest_framework.permissions import BasePermission

from shop.api.permissions import HasApiKeyScope, IsCustomer
from shop.models import ApiKey


class HasSupportChatScope(HasApiKeyScope):
    message = "This API key lacks the support:chat scope."
    scopes = (ApiKey.Scope.SUPPORT_CHAT,)


class CanChat(BasePermission):
    message = "Requires a customer token or an API key with the support:chat scope."

    def has_permission(self, request, view) -> bool:
        return IsCustomer().has_permission(request, view) or HasSupportChatScope().has_permission(
            request, view
        )
