"""Django settings for coderportal.

Two shapes from one file:
- embedded default (no configuration): SQLite, a filesystem Celery broker and the in-memory
  channel layer, everything under CODER_DATA_DIR;
- production: PostgreSQL from CODER_PG_CONNECTION_URL and Redis from CODER_REDIS_URL.
"""
from __future__ import annotations

import secrets
from pathlib import Path

import dj_database_url

from accounts.sso import sso_settings
from coderportal import config, security
from coderportal.logs import config as logs_config

# Every option is parsed here, before anything uses one: a bad value stops the process at once
# with one line naming the variable (manage.py prints it without a traceback).
config.check()

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = config.value("CODER_DATA_DIR")
DATA_DIR.mkdir(mode=0o700, parents=True, exist_ok=True)


def _secret_key() -> str:
    if config.get("CODER_SECRET_KEY"):
        return config.get("CODER_SECRET_KEY")
    key_file = DATA_DIR / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(50))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = False
ACCESS_URL = config.get("CODER_ACCESS_URL") or f"http://{config.get('CODER_HTTP_ADDRESS')}"
CSRF_TRUSTED_ORIGINS = [ACCESS_URL.rstrip("/")]
# Only the access URL's host (and the wildcard app domain) is served: a request naming
# another Host is refused, so nothing built from the Host header can point elsewhere.
ALLOWED_HOSTS = security.allowed_hosts(config.get("CODER_ACCESS_URL"), config.get("CODER_HTTP_ADDRESS"),
                                       config.get("CODER_WILDCARD_ACCESS_URL"))

# --- HTTPS ------------------------------------------------------------------------------
# Behind an https access URL, cookies are Secure (or with CODER_SECURE_AUTH_COOKIE, as in
# Coder); HSTS and the portal pages' Content-Security-Policy come from
# coderportal.security.SecurityHeadersMiddleware. SECURE_PROXY_SSL_HEADER stays unset: a
# forwarded-proto header is only believable from a trusted proxy, and until the deployment
# names its proxies the scheme comes from the connection itself.
SECURE_COOKIES = ACCESS_URL.startswith("https://") or config.get_bool("CODER_SECURE_AUTH_COOKIE")
SESSION_COOKIE_SECURE = SECURE_COOKIES
CSRF_COOKIE_SECURE = SECURE_COOKIES
SESSION_COOKIE_HTTPONLY = True
STRICT_TRANSPORT_SECURITY = security.hsts_header(config.get_int("CODER_STRICT_TRANSPORT_SECURITY"),
                                                 config.get_list("CODER_STRICT_TRANSPORT_SECURITY_OPTIONS"))

INSTALLED_APPS = [
    "coderportal.admin_apps.PortalAdminConfig",  # django.contrib.admin with the portal site
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI's assets, served by us: /swagger works offline
    "guardian",
    "allauth",
    "allauth.account",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.openid_connect",
    "allauth.socialaccount.providers.github",
    "channels",
    "coderportal",  # management commands (serve, provisionerd, ...) and plumbing tasks
    "accounts",
    "notifications",
    "templates_app",
    "workspaces",
    "aibridge",
]

MIDDLEWARE = [
    # A subdomain app's host is served here, before any portal middleware (sessions, CSRF).
    "workspaces.appproxy.middleware.SubdomainAppMiddleware",
    # --- operations: log context and request metrics (first, so they see every response incl. errors) ---
    "coderportal.logs.middleware.RequestContextMiddleware",
    "coderportal.metrics.middleware.PrometheusMiddleware",
    # --- end operations ---
    "django.middleware.security.SecurityMiddleware",
    "coderportal.security.SecurityHeadersMiddleware",
    "coderportal.api.errors.ApiErrorMiddleware",
    "coderportal.middleware.StaticFilesMiddleware",  # WhiteNoise, async-capable
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
]

ROOT_URLCONF = "coderportal.urls"
APPEND_SLASH = False

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "coderportal" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "notifications.context_processors.inbox",  # the unread count in the admin header
            ],
        },
    },
]

WSGI_APPLICATION = "coderportal.wsgi.application"
ASGI_APPLICATION = "coderportal.asgi.application"

# --- Database -------------------------------------------------------------------------
if config.get("CODER_PG_CONNECTION_URL"):
    DATABASES = {"default": dj_database_url.parse(config.get("CODER_PG_CONNECTION_URL"), conn_max_age=60)}
    DATABASES["default"]["ENGINE"] = "django.db.backends.postgresql"
else:
    DATABASES = {
        "default": {
            # Django's SQLite backend creating the file (and so its WAL) mode 0600.
            "ENGINE": "coderportal.db.sqlite3",
            "NAME": config.value("CODER_SQLITE_PATH") or DATA_DIR / "coderportal.sqlite3",
            # Several processes (web, workers, scheduler) share the file: WAL lets readers
            # proceed during writes, IMMEDIATE transactions avoid upgrade deadlocks.
            "OPTIONS": {
                "timeout": 30,
                "transaction_mode": "IMMEDIATE",
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            },
            # A file (not Django's in-memory default) so that worker processes started by
            # integration tests share the test database.
            "TEST": {"NAME": str(DATA_DIR / "test-coderportal.sqlite3")},
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Broker, channel layer, cache -----------------------------------------------------
REDIS_URL = config.get("CODER_REDIS_URL")
if config.get("CELERY_BROKER_URL"):
    CELERY_BROKER_URL = config.get("CELERY_BROKER_URL")
elif REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
else:
    # kombu's filesystem transport with atomic message files (coderportal/broker.py).
    CELERY_BROKER_URL = "localhost"  # no scheme: a scheme would select kombu's transport by name
    CELERY_BROKER_TRANSPORT = "coderportal.broker:Transport"
    _broker_dir = DATA_DIR / "broker"
    for sub in ("out", "processed"):
        (_broker_dir / sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "out"),
        "data_folder_out": str(_broker_dir / "out"),
        "processed_folder": str(_broker_dir / "processed"),
        "store_processed": False,
        # Exchange bindings live on disk too, so every process routes alike (default: the cwd).
        "control_folder": str(_broker_dir / "control"),
        # The embedded broker polls its folder; the default 1 s adds that much to every job's start.
        "polling_interval": 0.2,
    }
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_EAGER_PROPAGATES = True  # eager mode (tests only): a task's error fails the caller
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
# Scheduler tasks run on the `scheduler` queue; provisioner jobs are routed by tags (templates_app.jobs.queues).
CELERY_TASK_DEFAULT_QUEUE = "scheduler"
CELERY_BEAT_SCHEDULE: dict = {
    "reap-provisioner-jobs": {"task": "provisioner.reap", "schedule": 15.0},
    # The executor is safe to overlap with itself (per-workspace locks): expiring a tick that
    # waited past the next one only drops duplicates.
    "lifecycle-executor": {"task": "lifecycle.tick",
                           "schedule": config.get_duration("CODER_AUTOBUILD_POLL_INTERVAL").total_seconds(),
                           "options": {"expires": config.get_duration(
                               "CODER_AUTOBUILD_POLL_INTERVAL").total_seconds()}},
    "dormant-users": {"task": "lifecycle.dormant_users", "schedule": 15 * 60.0},
    "aibridge-purge": {"task": "aibridge.purge", "schedule": 600.0},
    "health-beat": {"task": "coderportal.health.beat", "schedule": 30.0},
    "dispatch-notifications": {"task": "notifications.dispatch",
                               "schedule": config.get_duration("CODER_NOTIFICATIONS_FETCH_INTERVAL").total_seconds()},
    "purge-notifications": {"task": "notifications.purge", "schedule": 3600.0},
}

if REDIS_URL:
    # The pub/sub layer: relay streams (terminal, SSH, app proxy) receive on per-connection
    # channels from several tasks at once, which the list-based layer's shared receive loses
    # messages under (the app proxy stalled after its first message).
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
                                  "CONFIG": {"hosts": [REDIS_URL]}}}
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Identity -------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "accounts.backends.PortalModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
    "guardian.backends.ObjectPermissionBackend",
]
# Coder's policy (accounts/passwords.py): 52 bits of entropy, at most 64 characters; plus a
# floor of 8 characters and Django's list of common passwords.
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "accounts.passwords.EntropyValidator"},
    {"NAME": "accounts.passwords.MaximumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
SESSION_COOKIE_AGE = int(config.get_duration("CODER_SESSION_DURATION").total_seconds())
# Sessions are refreshed on activity (Coder semantics) unless disabled.
SESSION_SAVE_EVERY_REQUEST = not config.get_bool("CODER_DISABLE_SESSION_EXPIRY_REFRESH")
LOGIN_URL = "/login"
LOGIN_REDIRECT_URL = "/admin/"
ANONYMOUS_USER_NAME = None  # guardian: no anonymous user row

SITE_ID = 1
ACCOUNT_LOGIN_METHODS = {"username", "email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "username*"]
ACCOUNT_EMAIL_VERIFICATION = "none"
# SSO callback URLs: the host is pinned by ALLOWED_HOSTS, the scheme is the access URL's (a
# TLS-terminating proxy in front must not turn the registered https callback into http).
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "https" if ACCESS_URL.startswith("https://") else "http"
ACCOUNT_ADAPTER = "accounts.sso.adapter.PortalAccountAdapter"
SOCIALACCOUNT_ADAPTER = "accounts.sso.adapter.PortalSocialAccountAdapter"
SOCIALACCOUNT_AUTO_SIGNUP = True
SOCIALACCOUNT_EMAIL_AUTHENTICATION = False
SOCIALACCOUNT_LOGIN_ON_GET = True
SOCIALACCOUNT_STORE_TOKENS = False
# OIDC / GitHub apps from CODER_OIDC_* and CODER_OAUTH2_GITHUB_* (accounts/sso/sso_settings.py).
SOCIALACCOUNT_PROVIDERS: dict = sso_settings.providers()

# --- REST API -------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "coderportal.api.authentication.TokenAuthentication",
        "coderportal.api.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["coderportal.api.permissions.IsAuthenticated"],
    "DEFAULT_THROTTLE_CLASSES": ["coderportal.api.throttling.APIRateThrottle"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer",
                                 "rest_framework.renderers.BrowsableAPIRenderer"],
    "EXCEPTION_HANDLER": "coderportal.api.errors.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "coderportal API",
    "DESCRIPTION": "Coder-compatible /api/v2 of coderportal.",
    "VERSION": "2.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}
# Template archives arrive as raw bodies, so the body cap must admit the largest archive.
DATA_UPLOAD_MAX_MEMORY_SIZE = max(config.get_int("CODER_MAX_REQUEST_BODY_BYTES"),
                                  config.get_int("CODER_MAX_FILE_BYTES"))

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True

LOGGING_CONFIG = "coderportal.logs.config.configure"
LOGGING = logs_config.build(human=config.get("CODER_LOG_HUMAN"), json=config.get("CODER_LOG_JSON"),
                            stackdriver=config.get("CODER_LOG_STACKDRIVER"), verbose=config.get_bool("CODER_VERBOSE"),
                            level=config.value("CODER_LOG_LEVEL"))
# Celery workers log through LOGGING too (same sinks and formats as the web processes).
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
SILENCED_SYSTEM_CHECKS = ["auth.W004"]  # usernames are unique case-insensitively (constraint)
