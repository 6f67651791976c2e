"""Who may use the ML API: staff only; moving model aliases needs its own permission."""

from rest_framework.permissions import BasePermission

MOVE_ALIAS_PERMISSION = "ml.change_modelalias"


class IsStaff(BasePermission):
    """An active staff user, through a session or a token. API-key clients are never staff."""

    message = "Only staff may use the ML API."

    def has_permission(self, request, view) -> bool:
        user = request.user
        return bool(
            user
            and user.is_authenticated
            and getattr(user, "is_active", False)
            and getattr(user, "is_staff", False)
        )


class CanMoveAliases(BasePermission):
    """Promote and roll back: staff who hold `ml.change_modelalias` (the Data scientists)."""

    message = "Promoting and rolling back models needs the ml.change_modelalias permission."

    def has_permission(self, request, view) -> bool:
        return bool(request.user and request.user.has_perm(MOVE_ALIAS_PERMISSION))
