"""Who may use the jobs API: staff only."""

from rest_framework.permissions import BasePermission


class IsStaff(BasePermission):
    """An active staff user, through a session or a token. API-key clients are never staff."""

    message = "Only staff may use the jobs API."

    def has_permission(self, request, view) -> bool:
        user = request.user
        return bool(
            user
            and user.is_authenticated
            and getattr(user, "is_active", False)
            and getattr(user, "is_staff", False)
        )
