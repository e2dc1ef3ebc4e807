from django.apps import AppConfig


class PerformanceConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "performance"
    verbose_name = "绩效管理"

    def ready(self) -> None:
        # Register the Celery tasks under their names, where ``performance.dispatch`` (the way
        # services queue work without importing the tasks) looks them up.
        from . import tasks  # noqa: F401

        # similarity() and the ``similar`` lookup on every connection (SQLite gets the twin).
        from .db import trigram  # noqa: F401
