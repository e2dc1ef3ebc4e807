from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class ProjectsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "projects"
    verbose_name = "单位与项目"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from .permissions.groups import sync_role_groups

        post_migrate.connect(sync_role_groups, dispatch_uid="projects.sync_role_groups")


class PerformanceAdminConfig(admin_apps.AdminConfig):
    """``django.contrib.admin`` with the project's site class (audited own password change)."""

    default = False  # ProjectsConfig stays this module's default

    default_site = "projects.admin_site.PerformanceAdminSite"

    def ready(self) -> None:
        super().ready()
        from .admin.figures import install

        install()  # decimals on admin pages through projects.numbers.figure
