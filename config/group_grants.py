"""Granting an app's model permissions to the staff groups, from a data migration.

    GRANTS = {"Store staff": {"personallist": ("view",)}, ...}
    migrations.RunPython(grants_forward("recommendations", GRANTS),
                         grants_backward("recommendations", GRANTS))

The groups themselves are created by shop.0002_staff_groups; a migration using this depends
on it. Permissions are created first (Django only makes them after all migrations ran).
"""

from collections.abc import Callable, Mapping, Sequence

from django.contrib.auth.management import create_permissions

Grants = Mapping[str, Mapping[str, Sequence[str]]]


def grants_forward(app_label: str, grants: Grants) -> Callable:
    def grant(apps, schema_editor) -> None:
        app_config = apps.get_app_config(app_label)
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        Group = apps.get_model("auth", "Group")
        Permission = apps.get_model("auth", "Permission")
        for group_name, models in grants.items():
            group, _ = Group.objects.get_or_create(name=group_name)
            for model, actions in models.items():
                codenames = [f"{action}_{model}" for action in actions]
                permissions = Permission.objects.filter(
                    content_type__app_label=app_label, codename__in=codenames
                )
                if permissions.count() != len(codenames):
                    raise RuntimeError(f"missing permissions for {app_label}.{model}")
                group.permissions.add(*permissions)

    return grant


def grants_backward(app_label: str, grants: Grants) -> Callable:
    """Take back exactly the permissions `grants` gave (others, e.g. from an earlier
    migration of the same app, stay)."""

    def revoke(apps, schema_editor) -> None:
        Permission = apps.get_model("auth", "Permission")
        Group = apps.get_model("auth", "Group")
        for group in Group.objects.filter(name__in=list(grants)):
            codenames = [
                f"{action}_{model}"
                for model, actions in grants[group.name].items()
                for action in actions
            ]
            group.permissions.remove(
                *Permission.objects.filter(
                    content_type__app_label=app_label, codename__in=codenames
                )
            )

    return revoke
