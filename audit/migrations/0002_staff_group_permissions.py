"""Audit permissions for the staff groups created in shop.0002: Store staff read the audit log
and the privacy requests, and may export and erase customers' data; Data scientists read the
audit log (model promotions, roll-backs and jobs)."""

from django.db import migrations

from config.group_grants import grants_backward, grants_forward

# grants_* join "<action>_<model>": the custom permissions of PrivacyRequest,
# `export_customer_data` and `erase_customer`, are written as such pairs.
GRANTS = {
    "Store staff": {
        "auditentry": ("view",),
        "privacyrequest": ("view",),
        "customer_data": ("export",),
        "customer": ("erase",),
    },
    "Data scientists": {"auditentry": ("view",)},
}


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0001_initial"),
        ("shop", "0002_staff_groups"),
    ]

    operations = [
        migrations.RunPython(grants_forward("audit", GRANTS), grants_backward("audit", GRANTS))
    ]
