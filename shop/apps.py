from django.apps import AppConfig


class ShopConfig(AppConfig):
    name = "shop"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Product and category changes make the catalogue's cached API pages stale.
        from shop import receivers  # noqa: F401
