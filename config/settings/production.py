"""Production: secrets and hosts must come from the environment; HTTPS behind a proxy."""

import os

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import env_bool

SECRET_KEY = os.environ.get("SECRET_KEY", "")
# The same bar as Django's own deploy check (security.W009): 50+ characters, 5+ distinct ones,
# and not one of the development defaults.
if (
    len(SECRET_KEY) < 50
    or len(set(SECRET_KEY)) < 5
    or SECRET_KEY.startswith(("insecure", "django-insecure"))
):
    raise ImproperlyConfigured("生产环境必须通过环境变量 SECRET_KEY 提供至少 50 个字符的随机密钥。")
DEBUG = False
if not os.environ.get("ALLOWED_HOSTS"):
    raise ImproperlyConfigured("生产环境必须设置 ALLOWED_HOSTS。")

# The TLS-terminating proxy says whether the client used HTTPS. A client that reaches gunicorn
# directly and forges the header only skips its own redirect to HTTPS; the client *address* is
# another matter: it is believed only from TRUSTED_PROXIES (base.py, projects.security.client_address).
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
if os.environ.get("NUM_PROXIES"):
    # Retired: counting proxies believed X-Forwarded-For from whoever connected.
    raise ImproperlyConfigured(
        "NUM_PROXIES 已停用：请改为在 TRUSTED_PROXIES 中列出反向代理的地址或网段"
        "（逗号分隔），只有来自这些地址的 X-Forwarded-For 才被采信。"
    )
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", str(365 * 24 * 3600)))
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
STORAGES = {
    **STORAGES,  # noqa: F405
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
