"""Saves and deletes of ad variants and campaigns, and changes of a campaign's target products,
make the variants cached per placement and product stale.

Bulk writes (update(), bulk_create()) send no signals: the services that make them call
`marketing.services.ads_changed` themselves.
"""

from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import receiver

from marketing.models import AdCopy, Campaign
from marketing.services import ads_changed


@receiver(post_save, sender=AdCopy, dispatch_uid="ads_adcopy_saved")
@receiver(post_delete, sender=AdCopy, dispatch_uid="ads_adcopy_deleted")
@receiver(post_save, sender=Campaign, dispatch_uid="ads_campaign_saved")
@receiver(post_delete, sender=Campaign, dispatch_uid="ads_campaign_deleted")
@receiver(m2m_changed, sender=Campaign.target_products.through, dispatch_uid="ads_targets")
def _ads_row_changed(sender, **kwargs) -> None:
    ads_changed()
