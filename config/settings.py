"""Settings for casework. Everything that differs between machines comes from the environment.

DEBUG is off unless asked for; with DEBUG off the HTTPS/cookie hardening defaults are on, so
`manage.py check --deploy` is clean once SECRET_KEY and ALLOWED_HOSTS are set.
"""

from datetime import timedelta
from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False) if (BASE_DIR / ".env").exists() else None

DEBUG = env.bool("DEBUG", default=False)

# The fallback key only exists so that commands such as simulate_workflow work on a fresh
# clone; the deploy check `projects.E001` refuses it in production.
INSECURE_DEFAULT_SECRET_KEY = "django-insecure-casework-development-key-do-not-use-in-production"
SECRET_KEY = env.str("SECRET_KEY", default=INSECURE_DEFAULT_SECRET_KEY)

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_tasks",
    "django_tasks_db",
    "projects",
    "workflows",
    "cases",
    "webhooks",
    "outbound",
    "automation",
    "documents",
    "axes",
]

MIDDLEWARE = [
    "config.middleware.RequestIdMiddleware",
    "config.middleware.ApiErrorShapeMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "config.middleware.ApiBodyLimitMiddleware",
    "config.middleware.NulInputMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: it answers a locked-out login with the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = env.str("ROOT_URLCONF", default="config.urls")

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
                "cases.context_processors.navigation",
            ],
        },
    },
]

WSGI_APPLICATION = "config.wsgi.application"

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # IMMEDIATE transactions make concurrent writers wait for each other instead of failing
    # with "database is locked" (SQLite has no row locks; this is its serialisation).
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"transaction_mode": "IMMEDIATE", "timeout": 20}
    )
else:
    # Opening a PostgreSQL connection costs more than a typical request: keep them.
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# The statements every run and event executes (config.fastload) are prepared once per
# connection, with their values bound on the server. Off behind a pooler that cannot keep
# prepared statements (PgBouncer before 1.21 in transaction mode).
DATABASE_PREPARED_STATEMENTS = env.bool("DATABASE_PREPARED_STATEMENTS", default=True)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "staticfiles")
# WhiteNoise serves static files from gunicorn too; finders let it work before collectstatic.
WHITENOISE_USE_FINDERS = True

LOGIN_URL = "login"

# Login throttling (django-axes) on /login/ and /admin/login/: after LOGIN_FAILURE_LIMIT wrong
# passwords in a row, that user name cannot log in from that address for LOGIN_LOCKOUT_MINUTES.
# User and address together, so that nobody can lock an operator out from elsewhere. Attempts
# are recorded (admin: Axes); README, "Locked out", says how to unlock.
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("LOGIN_LOCKOUT_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
# Every failed login kept (admin: Axes, access failures), also after an unlock or a right password.
AXES_ENABLE_ACCESS_FAILURE_LOG = True
AXES_LOCKOUT_CALLABLE = "config.views.locked_out"
AXES_CLIENT_IP_CALLABLE = "config.client_ip.client_ip"
# How many proxies in front of the server append to X-Forwarded-For (0: none is trusted and
# the connection's address counts).
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "login"

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# --- Security: hardened by default whenever DEBUG is off -----------------------------------
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=not DEBUG)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=not DEBUG)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if env.bool("USE_X_FORWARDED_PROTO", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# --- Product settings ----------------------------------------------------------------------
# Largest accepted request body (SPEC section 4: 413 above it).
API_MAX_BODY_BYTES = env.int("API_MAX_BODY_BYTES", default=1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = API_MAX_BODY_BYTES
# API keys record their last use at most this often, so reads do not write on every request.
API_KEY_LAST_USED_RESOLUTION_SECONDS = 60
# Fernet keys (comma-separated) encrypting project secrets and hook secrets at rest: the first
# encrypts, all decrypt. To rotate: a new key first, `manage.py reencrypt_secrets`, then drop the
# old one. Unset, a key derived from SECRET_KEY is used (dev and tests need no setup); production
# should set its own (`Fernet.generate_key()`), as changing SECRET_KEY would then lose them.
SECRETS_ENCRYPTION_KEYS = env.list("SECRETS_ENCRYPTION_KEYS", default=[])

CACHES = {"default": env.cache("CACHE_URL", default="locmemcache://")}
# Rate limits per API key, counted in the default cache (README, "Sizing the rate limits"):
# the sustained rate in DRF's format (`36000/min`; `N/s` counts N*60 a minute, `N/hour` and
# `N/day` count per hour and per day) and the burst, the most requests in one clock second.
# An API key's own limits, set in the admin, replace these.
API_THROTTLE_RATE = env.str("API_THROTTLE_RATE", default="36000/min")
API_THROTTLE_BURST = env.int("API_THROTTLE_BURST", default=1200)

# --- Background work and webhooks (SPEC section 7) -----------------------------------------
# Tasks are rows in the project's database, written in the transaction that asks for them;
# `manage.py db_worker` processes run them (any number, on any host).
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
WEBHOOK_TIMEOUT_SECONDS = env.float("WEBHOOK_TIMEOUT_SECONDS", default=10.0)
# Sent in webhook bodies as `environment`, as Ballerine does (e.g. production, staging).
ENVIRONMENT_NAME = env.str("ENVIRONMENT_NAME", default="development" if DEBUG else "production")
# Attempt n+1 waits WEBHOOK_RETRY_BASE_SECONDS * 2**(n-1), at most WEBHOOK_RETRY_MAX_SECONDS.
WEBHOOK_MAX_ATTEMPTS = env.int("WEBHOOK_MAX_ATTEMPTS", default=10)
WEBHOOK_RETRY_BASE_SECONDS = env.float("WEBHOOK_RETRY_BASE_SECONDS", default=30.0)
WEBHOOK_RETRY_MAX_SECONDS = env.float("WEBHOOK_RETRY_MAX_SECONDS", default=6 * 3600.0)
# Private, loopback and link-local targets of every outbound request (webhooks, plugins, file
# fetches) are refused (SSRF) unless this is on; WEBHOOK_ALLOW_PRIVATE_TARGETS is its older
# alias (either one on opens them: outbound.targets.private_targets_allowed() reads both).
# A project's allow-list (admin) opens single hosts or networks for that project only.
OUTBOUND_ALLOW_PRIVATE_TARGETS = env.bool("OUTBOUND_ALLOW_PRIVATE_TARGETS", default=False)
WEBHOOK_ALLOW_PRIVATE_TARGETS = env.bool("WEBHOOK_ALLOW_PRIVATE_TARGETS", default=False)

# --- Automation: plugin runs (SPEC section 10) ------------------------------------------------
# Connection errors, timeouts, 429 and 5xx are tried again, attempt n+1 after
# PLUGIN_RETRY_BASE_SECONDS * 2**(n-1) (at most PLUGIN_RETRY_MAX_SECONDS), PLUGIN_MAX_ATTEMPTS in all.
PLUGIN_TIMEOUT_SECONDS = env.float("PLUGIN_TIMEOUT_SECONDS", default=30.0)
PLUGIN_MAX_ATTEMPTS = env.int("PLUGIN_MAX_ATTEMPTS", default=5)
PLUGIN_RETRY_BASE_SECONDS = env.float("PLUGIN_RETRY_BASE_SECONDS", default=10.0)
PLUGIN_RETRY_MAX_SECONDS = env.float("PLUGIN_RETRY_MAX_SECONDS", default=3600.0)
# A run waiting for its vendor's callback longer than this is flagged on the case page.
PLUGIN_CALLBACK_TIMEOUT_HOURS = env.float("PLUGIN_CALLBACK_TIMEOUT_HOURS", default=24.0)
# What a vendor's answer may be (read past this, it fails the run) and how much of it is kept.
PLUGIN_RESPONSE_MAX_BYTES = env.int("PLUGIN_RESPONSE_MAX_BYTES", default=2 * 1024 * 1024)
PLUGIN_EXCERPT_CHARS = env.int("PLUGIN_EXCERPT_CHARS", default=2000)
# The server's public base URL: `{secret.APP_API_URL}` in plugin declarations (vendor callbacks).
PUBLIC_BASE_URL = env.str("PUBLIC_BASE_URL", default="http://127.0.0.1:8000")

# --- Documents: stored files (SPEC section 11) ----------------------------------------------
# An upload over DOCUMENT_MAX_BYTES is refused while it is read; images over DOCUMENT_MAX_PIXELS
# (Pillow's decompression-bomb limit, whose default this is) are refused before they are decoded.
DOCUMENT_MAX_BYTES = env.int("DOCUMENT_MAX_BYTES", default=20 * 1024 * 1024)
DOCUMENT_MAX_PIXELS = env.int("DOCUMENT_MAX_PIXELS", default=89_478_485)
# Pages given by an http(s) uri are fetched by the worker: each exchange's deadline, and
# connection errors, timeouts, 429 and 5xx tried again (doubling from the base), in all at most:
DOCUMENT_FETCH_TIMEOUT_SECONDS = env.float("DOCUMENT_FETCH_TIMEOUT_SECONDS", default=30.0)
DOCUMENT_FETCH_MAX_ATTEMPTS = env.int("DOCUMENT_FETCH_MAX_ATTEMPTS", default=5)
DOCUMENT_FETCH_RETRY_BASE_SECONDS = env.float("DOCUMENT_FETCH_RETRY_BASE_SECONDS", default=10.0)
# Uploads larger than this go to a temporary file instead of memory (Django's setting).
FILE_UPLOAD_MAX_MEMORY_SIZE = env.int("FILE_UPLOAD_MAX_MEMORY_SIZE", default=1024 * 1024)
# Where the file-system storage keeps documents. Nothing serves this directory: files reach a
# browser only through the views that check the project (documents.serving).
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "media")
# `filesystem` (MEDIA_ROOT) or `s3`: any S3-compatible bucket through django-storages. Only the
# chosen backend is imported, so boto3 is needed only with `s3`.
DOCUMENTS_STORAGE = env.str("DOCUMENTS_STORAGE", default="filesystem")
if DOCUMENTS_STORAGE == "s3":
    _documents_storage = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": env.str("AWS_STORAGE_BUCKET_NAME"),
            "endpoint_url": env.str("AWS_S3_ENDPOINT_URL", default=None),
            "access_key": env.str("AWS_ACCESS_KEY_ID", default=None),
            "secret_key": env.str("AWS_SECRET_ACCESS_KEY", default=None),
            "region_name": env.str("AWS_S3_REGION_NAME", default=None),
            "default_acl": "private",
            "querystring_auth": True,
            # Names are fresh UUIDs: no existence check (one request fewer) is needed.
            "file_overwrite": True,
            # S3File buffers a download; 0 (the default) would keep a whole file in memory.
            "max_memory_size": 1024 * 1024,
        },
    }
elif DOCUMENTS_STORAGE == "filesystem":
    _documents_storage = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {
            "location": MEDIA_ROOT,
            "base_url": None,
            "file_permissions_mode": 0o600,
            "directory_permissions_mode": 0o700,
        },
    }
else:
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured(f"DOCUMENTS_STORAGE must be 'filesystem' or 's3', not {DOCUMENTS_STORAGE!r}.")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    "documents": _documents_storage,
}
# Optional, not used yet: a separate cookieless origin (e.g. https://media.example.com) that would
# serve files with signed short-lived links, so that even a browser bug in a viewer could not
# reach the session cookie. Empty: files are served from this origin, by documents.serving.
DOCUMENTS_MEDIA_ORIGIN = env.str("DOCUMENTS_MEDIA_ORIGIN", default="")

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["workflows.api.authentication.ApiKeyAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PARSER_CLASSES": ["workflows.api.parsers.LimitedJSONParser"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "workflows.api.pagination.PageLimitPagination",
    "DEFAULT_THROTTLE_CLASSES": ["workflows.api.throttling.ApiKeyRateThrottle"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "workflows.api.errors.api_exception_handler",
    "UNAUTHENTICATED_USER": None,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "casework external API",
    "DESCRIPTION": (
        "Start and drive workflows from external systems. Compatible with Ballerine's "
        "`POST /api/v1/external/workflows/run`. Authenticate with `Authorization: Bearer <API key>`."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    # Enums named after what they are, not the field they first appeared on.
    "ENUM_NAME_OVERRIDES": {
        "RuntimeStatusEnum": "workflows.models.RuntimeStatus",
        "EntityTypeEnum": "workflows.models.EntityKind",
        "ApprovalStateEnum": "workflows.models.ApprovalState",
    },
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "config.middleware.RequestIdFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s [%(request_id)s] %(name)s %(message)s"}
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["request_id"]}
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        # One line per request, from RequestIdMiddleware. The development server's own line and
        # django.request's warning for every 4xx would repeat it; server errors still log.
        "casework.access": {"level": env.str("ACCESS_LOG_LEVEL", default="INFO")},
        "django.server": {"handlers": ["console"], "level": "ERROR", "propagate": False},
        "django.request": {"level": "ERROR"},
        "axes": {"level": "WARNING"},  # lockouts; not its banner on every start
        # httpx logs every outbound request with its full URL (a query may carry a secret);
        # webhooks and plugins record their own attempts.
        "httpx": {"level": "WARNING"},
        "httpcore": {"level": "WARNING"},
        # pypdf warns about every repairable oddity of an uploaded PDF; a refusal says what is wrong.
        "pypdf": {"level": "ERROR"},
    },
}
