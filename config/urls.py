from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from config.health import healthz, readyz
from projects.admin.login import ThrottledAdminAuthenticationForm
from projects.invitation_views import SetPasswordDoneView, SetPasswordView

admin.site.site_header = "预算绩效目标管理"
admin.site.site_title = "绩效目标管理"
admin.site.index_title = "工作台"
# Failed logins are counted per username and address (projects.security.login_throttle).
admin.site.login_form = ThrottledAdminAuthenticationForm

# Under /api/ every error answers in the API's JSON error shape; elsewhere a Chinese page
# (English on request) instead of Django's English defaults.
handler400 = "performance.web.error_pages.bad_request"
handler404 = "performance.api.exceptions.not_found"
handler500 = "performance.web.error_pages.server_error"

urlpatterns = [
    path("", RedirectView.as_view(url="/admin/", permanent=False)),
    path("healthz", healthz, name="healthz"),  # liveness
    path("readyz", readyz, name="readyz"),  # readiness: database and broker
    path("admin/", include("performance.admin.dashboard.urls")),  # 数据看板, 打印报表
    path("admin/", include("performance.admin.imports")),  # 数据导入 (every import kind)
    path("admin/", admin.site.urls),
    path("api/", include("performance.api.urls")),
    # the e-mailed link of a user created by the people import (projects.services.invitations)
    path("accounts/set-password/<uidb64>/<token>/", SetPasswordView.as_view(), name="set-password"),
    path("accounts/set-password/done/", SetPasswordDoneView.as_view(), name="set-password-done"),
]
