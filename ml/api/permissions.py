"""Who may use the ML API: staff holding the model permission the admin asks for the same work
(viewing, submitting and cancelling jobs, viewing model versions, moving aliases)."""

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


class UserHasPermission(BasePermission):
    """The user holds `permission`: the model permission the admin asks for the same work, so
    the API opens nothing that the admin keeps shut. Listed after IsStaff, whose message a
    caller who is not staff gets. Subclasses set `permission`."""

    permission = ""

    def has_permission(self, request, view) -> bool:
        # API-key clients are not users and hold no permissions.
        has_perm = getattr(request.user, "has_perm", None)
        return bool(has_perm and has_perm(self.permission))


class CanViewJobs(UserHasPermission):
    message = "Viewing jobs needs the ml.view_job permission."
    permission = "ml.view_job"


class CanSubmitJobs(UserHasPermission):
    message = "Submitting jobs needs the ml.add_job permission."
    permission = "ml.add_job"


class CanCancelJobs(UserHasPermission):
    message = "Cancelling jobs needs the ml.change_job permission."
    permission = "ml.change_job"


class CanViewModels(UserHasPermission):
    message = "Viewing model versions needs the ml.view_modelversion permission."
    permission = "ml.view_modelversion"
