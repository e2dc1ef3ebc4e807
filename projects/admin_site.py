"""The admin site: Django's, with the user's own password change going through the service.

It sits beside the ``projects.admin`` package, not in it: Django builds ``admin.site`` from
this class when its autodiscover first touches the site, before importing any app's admin, and
importing the package would register the ModelAdmins on a site not yet built.
"""

from __future__ import annotations

from django.contrib import admin
from django.contrib.admin.forms import AdminPasswordChangeForm
from django.contrib.auth.views import PasswordChangeView
from django.urls import reverse

from .services import accounts


class OwnPasswordChangeForm(AdminPasswordChangeForm):
    """“修改密码” in the admin header: ``accounts.user_set_password``, so it is audited."""

    def save(self, commit: bool = True):
        accounts.user_set_password(
            user=self.user, password=self.cleaned_data["new_password1"], actor=self.user
        )
        self.user.refresh_from_db()
        return self.user


class PerformanceAdminSite(admin.AdminSite):
    """``admin.site`` (``projects.apps.PerformanceAdminConfig.default_site``).

    No navigation sidebar: at 1366 px it took 300 px from every list and form; the home page
    keeps the full app list and every page keeps its breadcrumbs."""

    enable_nav_sidebar = False

    def password_change(self, request, extra_context=None):
        """Django's view with the audited form."""
        request.current_app = self.name
        return PasswordChangeView.as_view(
            form_class=OwnPasswordChangeForm,
            success_url=reverse("admin:password_change_done", current_app=self.name),
            extra_context={**self.each_context(request), **(extra_context or {})},
            **(
                {"template_name": self.password_change_template}
                if self.password_change_template
                else {}
            ),
        )(request)
