"""Saves and deletes of products and categories make the catalogue's cached API data stale.

Bulk writes (update(), bulk_create(), bulk_update()) send no signals: the services that make
them call `shop.services.catalogue_changed` themselves.
"""

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from shop.models import Category, Product
from shop.services import catalogue_changed


@receiver(post_save, sender=Product, dispatch_uid="catalogue_product_saved")
@receiver(post_delete, sender=Product, dispatch_uid="catalogue_product_deleted")
@receiver(post_save, sender=Category, dispatch_uid="catalogue_category_saved")
@receiver(post_delete, sender=Category, dispatch_uid="catalogue_category_deleted")
def _catalogue_row_changed(sender, **kwargs) -> None:
    catalogue_changed()
