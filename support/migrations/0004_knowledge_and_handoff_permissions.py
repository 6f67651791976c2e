"""Permissions of the knowledge base and the handoff queue for the staff groups."""

from django.db import migrations

from config.group_grants import grants_backward, grants_forward

ALL = ("add", "change", "delete", "view")

GRANTS = {
    "Support agents": {
        "article": ("add", "change", "view"),
        "handoff": ("view", "change"),
    },
    "Data scientists": {
        "article": ALL,
        "handoff": ("view",),
    },
    "Store staff": {
        "article": ALL,
        "handoff": ("view",),
    },
}


class Migration(migrations.Migration):
    dependencies = [
        ("support", "0003_knowledge_handoff_ratings"),
        ("shop", "0002_staff_groups"),
    ]

    operations = [
        migrations.RunPython(grants_forward("support", GRANTS), grants_backward("support", GRANTS)),
    ]
