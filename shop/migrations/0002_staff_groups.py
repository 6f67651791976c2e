"""Staff groups and their permissions.

Permissions are normally created after migrations run, so this migration creates them first
for the apps it refers to (fresh databases would otherwise have none to grant).
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

VIEW = ("view",)
ALL = ("add", "change", "delete", "view")

GROUPS = {
    "Store staff": {
        "shop": {
            "category": ALL,
            "product": ALL,
            "customer": ALL,
            "order": ALL,
            "orderitem": ALL,
            "review": ALL,
            "event": VIEW,
        },
        "ml": {"job": ("add", "view"), "modelversion": VIEW, "modelalias": VIEW},
        "marketing": {"campaign": VIEW},
    },
    "Marketers": {
        "shop": {"category": VIEW, "product": VIEW, "review": VIEW},
        "ml": {"job": ("add", "view")},
        "marketing": {"campaign": ALL},
    },
    "Support agents": {
        "shop": {
            "customer": VIEW,
            "order": ("view", "change"),
            "orderitem": VIEW,
            "product": VIEW,
            "review": VIEW,
        },
    },
    "Data scientists": {
        "shop": {
            "category": VIEW,
            "product": VIEW,
            "customer": VIEW,
            "order": VIEW,
            "orderitem": VIEW,
            "review": VIEW,
            "event": VIEW,
        },
        "ml": {"job": ALL, "modelversion": ("view", "change"), "modelalias": ALL},
        "marketing": {"campaign": VIEW},
    },
}


def create_groups(apps, schema_editor):
    for app_label in ("shop", "ml", "marketing"):
        app_config = apps.get_app_config(app_label)
        # Migration-state app configs have no models module; create_permissions needs one.
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for group_name, grants in GROUPS.items():
        group, _ = Group.objects.get_or_create(name=group_name)
        for app_label, models in grants.items():
            for model, actions in models.items():
                codenames = [f"{action}_{model}" for action in actions]
                permissions = Permission.objects.filter(
                    content_type__app_label=app_label, codename__in=codenames
                )
                if permissions.count() != len(codenames):
                    raise RuntimeError(f"missing permissions for {app_label}.{model}")
                group.permissions.add(*permissions)


def remove_groups(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=GROUPS).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("shop", "0001_initial"),
        ("ml", "0001_initial"),
        ("marketing", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_groups, remove_groups)]
