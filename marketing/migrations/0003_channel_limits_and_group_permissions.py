"""Default channel limits, and marketing permissions for the staff groups of shop.0002."""

from django.db import migrations

from config.group_grants import grants_backward, grants_forward

# Characters. Search ads: the ad platforms' headline and description; email: the subject line
# (shown as the headline); social: the post. Marketers change them in the admin.
DEFAULT_LIMITS = {
    "search": {"headline_max": 30, "body_max": 90, "call_to_action_max": 20},
    "email": {"headline_max": 60, "body_max": None, "call_to_action_max": 25},
    "social": {"headline_max": None, "body_max": 280, "call_to_action_max": 25},
    "display": {"headline_max": 30, "body_max": 90, "call_to_action_max": 20},
}

VIEW = ("view",)
EDIT = ("add", "change", "view")
GRANTS = {
    "Marketers": {"adcopy": EDIT, "brandvoice": EDIT, "channellimit": VIEW, "adevent": VIEW},
    "Store staff": {"adcopy": VIEW, "brandvoice": VIEW, "channellimit": VIEW, "adevent": VIEW},
    "Data scientists": {"adcopy": VIEW, "brandvoice": VIEW, "channellimit": VIEW, "adevent": VIEW},
}


def seed_limits(apps, schema_editor):
    ChannelLimit = apps.get_model("marketing", "ChannelLimit")
    for channel, limits in DEFAULT_LIMITS.items():
        ChannelLimit.objects.get_or_create(channel=channel, defaults=limits)


def remove_limits(apps, schema_editor):
    apps.get_model("marketing", "ChannelLimit").objects.filter(channel__in=DEFAULT_LIMITS).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("marketing", "0002_variants_voice_limits_events"),
        ("shop", "0002_staff_groups"),
    ]

    operations = [
        migrations.RunPython(seed_limits, remove_limits),
        migrations.RunPython(
            grants_forward("marketing", GRANTS), grants_backward("marketing", GRANTS)
        ),
    ]
