from django.apps import AppConfig


class MarketingConfig(AppConfig):
    name = "marketing"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Variant and campaign changes make the cached variants on offer stale.
        from marketing import receivers  # noqa: F401
