"""Marketers change the channel limits (0003 seeded them saying so, but granted only view, so
nobody but a superuser could). The channels are a fixed, seeded set: no add, no delete."""

from django.db import migrations

from config.group_grants import grants_backward, grants_forward

GRANTS = {"Marketers": {"channellimit": ("change",)}}


class Migration(migrations.Migration):
    dependencies = [
        ("marketing", "0003_channel_limits_and_group_permissions"),
        ("shop", "0002_staff_groups"),
    ]

    operations = [
        migrations.RunPython(
            grants_forward("marketing", GRANTS), grants_backward("marketing", GRANTS)
        )
    ]
