"""Settings shared by every environment.

Everything that differs between machines comes from environment variables with safe local
defaults: with nothing set the service runs on SQLite with an embedded (filesystem) Celery
broker, so a fresh machine needs only Python. ``DATABASE_URL`` and ``REDIS_URL`` switch to
PostgreSQL and Redis.
"""

import ipaddress
import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from config.storage import attachment_storage_config

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(os.environ.get("VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


SECRET_KEY = os.environ.get("SECRET_KEY", "insecure-local-development-key-change-me")
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "projects.apps.PerformanceAdminConfig",  # django.contrib.admin with our site class
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "import_export",
    "django_celery_beat",
    "projects",
    "performance",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # An upload stopped at its cap (performance/web/uploads.py): a 413 page naming the limit.
    "performance.web.uploads.UploadLimitMiddleware",
    # NUL in a querystring, bulk actions on ids that are not ids: refused before the database.
    "performance.web.middleware.AdminInputMiddleware",
]

ROOT_URLCONF = "config.urls"
# Refusals in the API's JSON under /api/ and as a Chinese page elsewhere (with handler400/404/500
# in config/urls.py): performance/web/error_pages.py.
CSRF_FAILURE_VIEW = "performance.web.error_pages.csrf_failure"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("DB_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Several processes (web, worker, beat) and threads share the file: wait for locks instead
    # of failing. A transaction takes SQLite's write lock when it begins (BEGIN IMMEDIATE):
    # two deferred transactions that both read and then write deadlock, and SQLite fails one
    # at once with "database is locked" (a 500) without waiting. Taking the lock first
    # queues them, so the later writer reads the winner's lock_version and gets the same 409
    # as on PostgreSQL (tests/performance/api/test_sqlite_races.py).
    DATABASES["default"].setdefault("OPTIONS", {}).update(timeout=30, transaction_mode="IMMEDIATE")
    DATABASES["default"]["CONN_MAX_AGE"] = 0
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "projects.security.passwords.MinimumLengthValidator",  # Django's, with a Chinese message
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("简体中文")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", VAR_DIR / "staticfiles"))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
MEDIA_URL = "media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))
# performance.api.docs_assets first: it serves ReDoc's bundle without Redocly's CDN logo.
STATICFILES_FINDERS = [
    "performance.api.docs_assets.LocalRedocFinder",
    "django.contrib.staticfiles.finders.FileSystemFinder",
    "django.contrib.staticfiles.finders.AppDirectoriesFinder",
]
# Evidence files (佐证材料) have their own storage: kept with their object and backed up, while
# media/ holds job files the housekeeping expires. config/storage.py: filesystem or S3.
ATTACHMENTS_ROOT = Path(os.environ.get("ATTACHMENTS_ROOT", VAR_DIR / "attachments"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    "attachments": attachment_storage_config(os.environ, root=ATTACHMENTS_ROOT),
}

# --- uploads ------------------------------------------------------------------------------
# performance/web/uploads.py: every file part is counted while it streams; parts over
# FILE_UPLOAD_MAX_MEMORY_SIZE go to FILE_UPLOAD_TEMP_DIR chunk by chunk, never whole into memory.
FILE_UPLOAD_MAX_MEMORY_SIZE = int(os.environ.get("FILE_UPLOAD_MAX_MEMORY_SIZE", str(2621440)))
FILE_UPLOAD_TEMP_DIR = str(Path(os.environ.get("FILE_UPLOAD_TEMP_DIR", VAR_DIR / "tmp")))
Path(FILE_UPLOAD_TEMP_DIR).mkdir(parents=True, exist_ok=True)
FILE_UPLOAD_HANDLERS = [
    "performance.web.uploads.LimitedUploadHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]
# All file parts of one request together (the proxy's client_max_body_size should allow it).
UPLOAD_MAX_REQUEST_BYTES = int(os.environ.get("UPLOAD_MAX_REQUEST_BYTES", str(200 * 1024 * 1024)))
# Evidence: one file; all files of one object (a monitoring value, an indicator's score, a
# report or a self-evaluation as a whole); files per object and per upload.
ATTACHMENT_MAX_BYTES = int(os.environ.get("ATTACHMENT_MAX_BYTES", str(50 * 1024 * 1024)))
ATTACHMENT_MAX_OBJECT_BYTES = int(
    os.environ.get("ATTACHMENT_MAX_OBJECT_BYTES", str(200 * 1024 * 1024))
)
ATTACHMENT_MAX_FILES_PER_OBJECT = int(os.environ.get("ATTACHMENT_MAX_FILES_PER_OBJECT", "20"))
ATTACHMENT_MAX_FILES_PER_UPLOAD = int(os.environ.get("ATTACHMENT_MAX_FILES_PER_UPLOAD", "10"))
# A zip (and each zip inside it): members, declared unpacked bytes of the whole tree, the
# compression ratio of a member over 1 MiB (a zip bomb), nesting depth.
ATTACHMENT_ZIP_MAX_MEMBERS = int(os.environ.get("ATTACHMENT_ZIP_MAX_MEMBERS", "1000"))
ATTACHMENT_ZIP_MAX_UNPACKED_BYTES = int(
    os.environ.get("ATTACHMENT_ZIP_MAX_UNPACKED_BYTES", str(1024 * 1024 * 1024))
)
ATTACHMENT_ZIP_MAX_RATIO = int(os.environ.get("ATTACHMENT_ZIP_MAX_RATIO", "100"))
ATTACHMENT_ZIP_MAX_DEPTH = int(os.environ.get("ATTACHMENT_ZIP_MAX_DEPTH", "2"))

# --- 财政复核 (spot checks) --------------------------------------------------------------------
# Four-eyes: a spot check is approved (and published) by a 财政审核人 other than the submitter;
# small bureaus with one reviewer set it false.
SPOT_CHECK_FOUR_EYES = env_bool("SPOT_CHECK_FOUR_EYES", True)
# The unit may object within this many days of publication; then the result is confirmed.
SPOT_CHECK_OBJECTION_DAYS = int(os.environ.get("SPOT_CHECK_OBJECTION_DAYS", "15"))
# A difference (self − 复核) at or above this many points is flagged (admin, dashboard bands).
SPOT_CHECK_DIFFERENCE_THRESHOLD = int(os.environ.get("SPOT_CHECK_DIFFERENCE_THRESHOLD", "10"))
# The risk rules' parameters when a draw does not give them.
SPOT_CHECK_RISK_DEFAULTS = {
    "high_score_low_execution": {"min_total": "90", "max_execution_rate": "60"},
    "many_overrides": {"min_overrides": 3},
    "declared_deviation": {},
    "poor_last_year": {},
}

# --- 整改 (rectification) ----------------------------------------------------------------------
# An automatic task's deadline is this many days after it is raised; its unit is reminded this
# many days before. A 复核 difference (self − final) at or above SPOT_CHECK_DIFFERENCE_THRESHOLD
# raises a task.
RECTIFICATION_DAYS = int(os.environ.get("RECTIFICATION_DAYS", "30"))
RECTIFICATION_LEAD_DAYS = int(os.environ.get("RECTIFICATION_LEAD_DAYS", "7"))

SESSION_COOKIE_AGE = int(os.environ.get("SESSION_COOKIE_AGE", str(8 * 3600)))
# Background jobs' uploaded and result files (media/jobs/) are deleted by the nightly
# housekeeping this many days after the job finished; the job row and its figures stay.
JOB_FILE_RETENTION_DAYS = int(os.environ.get("JOB_FILE_RETENTION_DAYS", "30"))
# A queued or running job without progress (a task starting, a recompute chunk finishing, an
# import reporting rows) for this long counts as stalled: its worker probably died. It can then
# be re-queued, and a new recompute request no longer waits for it. Far above one recompute
# chunk (RECOMPUTE_UNITS_PER_TASK units take seconds to a minute or two).
JOB_STALL_SECONDS = int(os.environ.get("JOB_STALL_SECONDS", str(15 * 60)))
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
# projects.security.login_throttle: after this many failed logins of one username from one address the
# pair is locked out for LOGIN_LOCKOUT_SECONDS (admin login form and API token endpoint alike).
LOGIN_FAILURE_LIMIT = int(os.environ.get("LOGIN_FAILURE_LIMIT", "5"))
LOGIN_LOCKOUT_SECONDS = int(os.environ.get("LOGIN_LOCKOUT_SECONDS", str(15 * 60)))
# ... and after this many failed logins from one address, whatever the usernames (one address
# trying many accounts), within LOGIN_LOCKOUT_SECONDS, the address is locked out as long.
LOGIN_ADDRESS_FAILURE_LIMIT = int(os.environ.get("LOGIN_ADDRESS_FAILURE_LIMIT", "20"))

# projects.security.client_address: the proxies (addresses or CIDR networks, comma-separated) whose
# X-Forwarded-For is believed. Empty: the header is ignored and the client is REMOTE_ADDR. The
# lockouts and the API's throttles count per client address, so a proxy left out makes all
# its clients one; a peer listed wrongly lets its clients pick their address. docker/entrypoint.sh
# gives gunicorn the same list as --forwarded-allow-ips.
TRUSTED_PROXIES = env_list("TRUSTED_PROXIES")
for _proxy in TRUSTED_PROXIES:
    try:
        ipaddress.ip_network(_proxy)  # strict, as gunicorn's check: 10.0.0.1/8 is refused
    except ValueError as _error:
        raise ImproperlyConfigured(
            f"TRUSTED_PROXIES 中的“{_proxy}”不是有效的 IP 地址或网段（{_error}）。"
        ) from None
LOGIN_URL = "admin:login"

# --- Redis: broker and cache in production; an embedded broker when REDIS_URL is unset ----
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            # Another Redis database than the broker's, so clearing the cache keeps the queues.
            "LOCATION": os.environ.get("REDIS_CACHE_URL", REDIS_URL),
        }
    }
    CELERY_BROKER_URL = REDIS_URL
    # With acks_late a task whose worker died is redelivered after ``visibility_timeout``
    # seconds; it must exceed the longest task (retry countdowns included). The unacked
    # bookkeeping is kept per queue so deployments or test runs sharing a Redis never restore
    # each other's messages.
    _visibility = int(os.environ.get("CELERY_VISIBILITY_TIMEOUT", "3600"))
    _queue = os.environ.get("CELERY_QUEUE", "perfgoals")
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": _visibility,
        "unacked_key": f"unacked:{_queue}",
        "unacked_index_key": f"unacked_index:{_queue}",
        "unacked_mutex_key": f"unacked_mutex:{_queue}",
    }
    if _visibility < 60:  # test workers: look for abandoned messages every second
        CELERY_BROKER_TRANSPORT_OPTIONS.update(
            unacked_restore_interval=1, unacked_restore_throttle=1
        )
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    _broker_dir = VAR_DIR / "celery-broker"
    CELERY_BROKER_URL = "filesystem://localhost//"  # host ignored; naming it avoids a warning
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        # kombu otherwise creates ./control in the working directory for broadcast messages.
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
    }

CELERY_TIMEZONE = TIME_ZONE
# A separate queue name lets test runs and deployments share one Redis without crosstalk.
CELERY_TASK_DEFAULT_QUEUE = os.environ.get("CELERY_QUEUE", "perfgoals")
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_IGNORE_RESULT = True
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
# A recompute job is split into tasks of this many units, so several workers share a province.
RECOMPUTE_UNITS_PER_TASK = int(os.environ.get("RECOMPUTE_UNITS_PER_TASK", "10"))

# --- review timing (issue 15) -------------------------------------------------------------
# A document waiting at one review step longer than this many working days is escalated once
# to the next level; a finance bureau's 审核设置 (BureauPolicy) overrides it, 0 never escalates.
REVIEW_ESCALATION_WORKING_DAYS = int(os.environ.get("REVIEW_ESCALATION_WORKING_DAYS", "5"))
# Absolute address of the site (https://perf.example.org) for links in notification mails;
# empty: mails carry no link.
SITE_URL = os.environ.get("SITE_URL", "").rstrip("/")
# How long the e-mailed set-password link of a user created by the people import stays valid.
ACCOUNT_INVITE_SECONDS = int(os.environ.get("ACCOUNT_INVITE_SECONDS", str(7 * 24 * 3600)))

# --- e-mail ---------------------------------------------------------------------------------
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
# Seconds before a stuck SMTP connection fails the send (and the task retries it); must stay
# well under services.notifications.MAIL_CLAIM_TIMEOUT.
EMAIL_TIMEOUT = int(os.environ.get("EMAIL_TIMEOUT", "30"))
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "绩效目标管理 <noreply@localhost>")

# --- REST API ---------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        # DRF's, with the CSRF refusal in Chinese (English on request).
        "performance.api.authentication.SessionAuthentication",
    ],
    # performance/api/parsers: JSON by orjson (no RecursionError on deep nesting, messages
    # in Chinese); DRF's form and multipart parsers with Chinese messages.
    "DEFAULT_PARSER_CLASSES": [
        "performance.api.parsers.JSONParser",
        "performance.api.parsers.FormParser",
        "performance.api.parsers.MultiPartParser",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # performance/api: DRF's JSON, encoded by orjson (benchmarks/README.md, API lists).
    "DEFAULT_RENDERER_CLASSES": [
        "performance.api.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.SearchFilter",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_THROTTLE_RATES": {"auth": os.environ.get("AUTH_THROTTLE_RATE", "10/min")},
    # performance/api: one JSON error shape (code, detail, field-level errors); 409 on stale.
    "EXCEPTION_HANDLER": "performance.api.exceptions.api_exception_handler",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "绩效目标管理 API",
    "DESCRIPTION": "预算绩效目标申报、审核、监控与自评的 REST API。",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    # Nothing from elsewhere: Swagger UI's default validatorUrl is validator.swagger.io, whose
    # badge (drawn by layouts other than drf-spectacular's BaseLayout) would fetch from it with
    # the schema's URL; "none" turns it off whatever the layout.
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": "none"},
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # performance/api: tags are the resource after /api/v1/, described in Chinese.
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    # performance/api: 415 on every operation with a body; the Error body has exactly its fields.
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "performance.api.schema.document_errors",
    ],
    "TAGS": [
        {"name": "auth", "description": "API 令牌：申请（限流）与注销"},
        {"name": "me", "description": "当前用户及其角色"},
        {"name": "units", "description": "单位（财政局、主管部门、预算单位）及单位汇总"},
        {"name": "projects", "description": "预算项目：预算、执行数、执行率"},
        {"name": "goals", "description": "绩效目标：指标、智能审核、审核流转、调整、版本对比"},
        {"name": "indicators", "description": "绩效指标"},
        {"name": "monitoring-rounds", "description": "绩效运行监控轮次"},
        {"name": "monitoring-reports", "description": "项目绩效监控表：执行、预警灯、审核流转"},
        {"name": "evaluations", "description": "绩效自评：得分、调整、等级、审核流转"},
        {"name": "schemes", "description": "评分方案"},
        {"name": "summaries", "description": "按单位、主管部门、年度汇总"},
        {"name": "recompute", "description": "重新计算（后台任务）"},
        {"name": "jobs", "description": "后台任务：状态、进度、结果文件"},
        {"name": "imports", "description": "导入绩效目标模板"},
        {"name": "exports", "description": "导出正式表样（xlsx）"},
        {
            "name": "attachments",
            "description": "佐证材料：上传、列表、下载、删除（按内容判断类型）",
        },
    ],
    # performance/api: one named enum per choice class shared by several fields.
    "ENUM_NAME_OVERRIDES": {
        "ReviewStatusEnum": "performance.choices.Status",
        "GradeEnum": "performance.choices.Grade",
        "LightEnum": "performance.choices.Light",
        "RoundingEnum": "performance.choices.Rounding",
        "IndicatorCategoryEnum": "performance.choices.Category",
        "TargetKindEnum": "performance.choices.TargetKind",
        "GoalScopeEnum": "performance.choices.GoalScope",
        "RoundStatusEnum": "performance.choices.RoundStatus",
        "JobKindEnum": "performance.choices.JobKind",
        "JobStatusEnum": "performance.choices.JobStatus",
        "ProjectCategoryEnum": "projects.choices.ProjectCategory",
        "UnitKindEnum": "projects.choices.UnitKind",
        "RoleEnum": "projects.choices.Role",
        "AttachmentKindEnum": "performance.choices.AttachmentKind",
        "LibraryStatusEnum": "performance.choices.LibraryStatus",
    },
}

# --- django-import-export -------------------------------------------------------------------
IMPORT_EXPORT_SKIP_ADMIN_LOG = False
# Bulk review (批量审核通过 / 批量退回, admin and API): at most this many items per request; each
# item is one single review in its own transaction.
BULK_REVIEW_MAX = int(os.environ.get("BULK_REVIEW_MAX", "500"))

# Target imports (performance.services.imports): uploads over IMPORT_ASYNC_ROWS rows run as a
# background job; files over the byte/row caps are refused before they are read whole.
IMPORT_ASYNC_ROWS = int(os.environ.get("IMPORT_ASYNC_ROWS", "2000"))
IMPORT_MAX_ROWS = int(os.environ.get("IMPORT_MAX_ROWS", "200000"))
IMPORT_MAX_BYTES = int(os.environ.get("IMPORT_MAX_BYTES", str(20 * 1024 * 1024)))
IMPORT_MAX_UNCOMPRESSED_BYTES = int(
    os.environ.get("IMPORT_MAX_UNCOMPRESSED_BYTES", str(300 * 1024 * 1024))
)
# The figures feed (performance.selectors.figures_feed, GET /api/v1/exports/figures/): units
# per COPY statement (PostgreSQL), records per query elsewhere, concurrent feeds per user.
FEED_UNITS_PER_QUERY = int(os.environ.get("FEED_UNITS_PER_QUERY", "500"))
FEED_RECORDS_PER_QUERY = int(os.environ.get("FEED_RECORDS_PER_QUERY", "500"))
FEED_MAX_CONCURRENT_PER_USER = int(os.environ.get("FEED_MAX_CONCURRENT_PER_USER", "2"))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
