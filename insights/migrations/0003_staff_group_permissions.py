"""Insights permissions for the staff groups created in shop.0002."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

VIEW = ("view",)
ALL = ("add", "change", "delete", "view")

GRANTS = {
    "Store staff": {
        "sentimentalert": ("view", "change"),
        "aspect": ALL,
        "reviewsentiment": VIEW,
        "reviewlabelcorrection": ALL,
        "aspectmention": VIEW,
        "productreviewsummary": VIEW,
    },
    "Marketers": {"reviewsentiment": VIEW, "aspectmention": VIEW, "productreviewsummary": VIEW},
    "Support agents": {"reviewsentiment": VIEW, "productreviewsummary": VIEW},
    "Data scientists": {
        "sentimentalert": ("view", "change"),
        "aspect": ALL,
        "reviewsentiment": VIEW,
        "reviewlabelcorrection": ALL,
        "aspectmention": VIEW,
        "productreviewsummary": VIEW,
    },
}


def grant(apps, schema_editor):
    app_config = apps.get_app_config("insights")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for group_name, models in GRANTS.items():
        group, _ = Group.objects.get_or_create(name=group_name)
        for model, actions in models.items():
            codenames = [f"{action}_{model}" for action in actions]
            permissions = Permission.objects.filter(
                content_type__app_label="insights", codename__in=codenames
            )
            if permissions.count() != len(codenames):
                raise RuntimeError(f"missing permissions for insights.{model}")
            group.permissions.add(*permissions)


def revoke(apps, schema_editor):
    Permission = apps.get_model("auth", "Permission")
    Group = apps.get_model("auth", "Group")
    for group in Group.objects.filter(name__in=GRANTS):
        group.permissions.remove(*Permission.objects.filter(content_type__app_label="insights"))


class Migration(migrations.Migration):
    dependencies = [
        ("insights", "0002_default_aspects"),
        ("shop", "0002_staff_groups"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
