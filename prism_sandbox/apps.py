from django.apps import AppConfig


class PrismSandboxConfig(AppConfig):
    name = "prism_sandbox"
    verbose_name = "Prism sandbox"
    default_auto_field = "django.db.models.BigAutoField"
