"""Receivers that write audit entries for actions other apps perform.

Price and stock are compared with the row in the database before a product is saved (the admin
and every other `save()`); alias moves are linked to ml's own `AliasChange` record; a job's
start is its creation, its cancel the save that sets `cancel_requested`. Bulk writes (the
import's upserts) send no signals: they call `audit.services.product_changes_record`.
"""

from django.db.models.signals import post_save, pre_save
from django.dispatch import receiver

from audit.models import AuditEntry
from audit.services import PRODUCT_AUDITED_FIELDS, audit_record, product_changes_record
from ml.models import AliasChange, Job
from shop.models import Product


@receiver(pre_save, sender=Product, dispatch_uid="audit_product_before")
def _product_before(sender, instance: Product, raw=False, **kwargs) -> None:
    if raw or instance.pk is None:
        return
    instance._audit_before = (
        Product.objects.filter(pk=instance.pk).values(*PRODUCT_AUDITED_FIELDS).first()
    )


@receiver(post_save, sender=Product, dispatch_uid="audit_product_after")
def _product_after(sender, instance: Product, created=False, raw=False, **kwargs) -> None:
    before = getattr(instance, "_audit_before", None)
    instance._audit_before = None
    if raw or created or before is None:
        return
    # to_python: a price set as "12.50" compares equal to the stored Decimal("12.50").
    after = {
        field: Product._meta.get_field(field).to_python(getattr(instance, field))
        for field in PRODUCT_AUDITED_FIELDS
    }
    product_changes_record(changes=[(instance.pk, str(instance), before, after)])


@receiver(post_save, sender=AliasChange, dispatch_uid="audit_alias_change")
def _alias_changed(sender, instance: AliasChange, created=False, raw=False, **kwargs) -> None:
    if raw or not created:
        return
    from_version = instance.from_version.version if instance.from_version_id else None
    audit_record(
        action=AuditEntry.Action(instance.action),
        target=instance.to_version,
        changes={f"{instance.task}:{instance.alias}": (from_version, instance.to_version.version)},
        user=instance.changed_by,
        alias_change_id=instance.pk,
    )


@receiver(post_save, sender=Job, dispatch_uid="audit_job")
def _job_saved(sender, instance: Job, created=False, raw=False, update_fields=None, **kwargs):
    if raw:
        return
    if created:
        audit_record(
            action=AuditEntry.Action.JOB_START,
            target=instance,
            changes={"status": (None, instance.status)},
            user=instance.created_by,
        )
    elif update_fields and "cancel_requested" in update_fields and instance.cancel_requested:
        audit_record(
            action=AuditEntry.Action.JOB_CANCEL,
            target=instance,
            changes={"cancel_requested": (False, True)},
        )
