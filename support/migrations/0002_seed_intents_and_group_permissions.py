"""The store's intents with their labelled seed examples, and support permissions for the staff
groups created in shop.0002."""

from django.db import migrations

from config.group_grants import grants_backward, grants_forward

VIEW = ("view",)
ALL = ("add", "change", "delete", "view")

GRANTS = {
    "Support agents": {
        "conversation": ("view", "change"),
        "message": ("view", "change"),
        "intent": VIEW,
        "intentexample": ("add", "view"),
    },
    "Data scientists": {
        "intent": ALL,
        "intentexample": ALL,
        "conversation": VIEW,
        "message": VIEW,
    },
    "Store staff": {
        "intent": VIEW,
        "intentexample": VIEW,
        "conversation": VIEW,
        "message": VIEW,
    },
}


def seed(apps, schema_editor):
    from support.seed import seed_load

    seed_load(
        intent_model=apps.get_model("support", "Intent"),
        example_model=apps.get_model("support", "IntentExample"),
    )


def unseed(apps, schema_editor):
    from support.seed import INTENTS

    apps.get_model("support", "Intent").objects.filter(
        key__in=[spec.key for spec in INTENTS]
    ).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("support", "0001_initial"),
        ("shop", "0002_staff_groups"),
    ]

    operations = [
        migrations.RunPython(seed, unseed),
        migrations.RunPython(grants_forward("support", GRANTS), grants_backward("support", GRANTS)),
    ]
