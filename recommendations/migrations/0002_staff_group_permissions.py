"""Recommendations permissions for the staff groups created in shop.0002."""

from django.db import migrations

from config.group_grants import grants_backward, grants_forward

GRANTS = {
    "Store staff": {"personallist": ("view",), "listevent": ("view",)},
    "Marketers": {"personallist": ("view",), "listevent": ("view",)},
    "Data scientists": {"personallist": ("view",), "listevent": ("view",)},
}


class Migration(migrations.Migration):
    dependencies = [
        ("recommendations", "0001_lists_and_feedback"),
        ("shop", "0002_staff_groups"),
    ]

    operations = [
        migrations.RunPython(
            grants_forward("recommendations", GRANTS), grants_backward("recommendations", GRANTS)
        )
    ]
