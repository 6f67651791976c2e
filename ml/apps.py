from django.apps import AppConfig


class MlConfig(AppConfig):
    name = "ml"
    verbose_name = "Machine learning"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Every app declares its job kinds in its `tasks` module; importing them here fills
        # the job-kind registry in web processes too, not only in workers.
        from django.utils.module_loading import autodiscover_modules

        autodiscover_modules("tasks")
