from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "audit"
    verbose_name = "Audit"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # The actions audited are written by other apps' services (ml's registry and jobs,
        # the product admin); receivers record them without those apps knowing about audit.
        from audit import receivers  # noqa: F401
