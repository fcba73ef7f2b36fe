"""Weft settings: one module, every deploy-specific value from the environment.

The embedded default needs nothing: SQLite under ``data/``, a generated secret key, the ORM
task broker. ``DATABASE_URL`` and ``REDIS_URL`` switch to PostgreSQL and Redis.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DATA_DIR = Path(env.str("WEFT_DATA_DIR", default=str(BASE_DIR / "data")))
DATA_DIR.mkdir(parents=True, exist_ok=True)


def _data_secret(filename: str, generate) -> str:
    """Read a secret kept under DATA_DIR, creating it (mode 0600) on first start."""
    path = DATA_DIR / filename
    if not path.exists():
        # Write a private temp file, then link it into place: processes starting at the same
        # time all end up reading the one secret that won, never a half-written file.
        temp = DATA_DIR / f".{filename}.{os.getpid()}.{secrets.token_hex(4)}"
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(generate())
        try:
            os.link(temp, path)
        except FileExistsError:
            pass
        finally:
            temp.unlink()
    return path.read_text().strip()


def _fernet_key() -> str:
    from cryptography.fernet import Fernet

    return Fernet.generate_key().decode()


# --- Core ----------------------------------------------------------------------------------
DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env.str("SECRET_KEY", default="") or _data_secret(
    "secret_key", lambda: secrets.token_urlsafe(64)
)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
# Public base URL of this deployment, used in OAuth redirect URIs and links shown to users.
WEFT_BASE_URL = env.str("WEFT_BASE_URL", default="http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_q",
    "social_django",
    "connections",
    "syncs",
    "web",
]

MIDDLEWARE = [
    "config.middleware.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "config.middleware.ApiErrorMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
APPEND_SLASH = False

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
                "web.context_processors.navigation",
            ],
        },
    },
]

# --- Database ------------------------------------------------------------------------------
DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{DATA_DIR / 'weft.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web server read while the worker writes; the timeout absorbs short locks.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "timeout": 20,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
elif DATABASES["default"]["ENGINE"].startswith("django.db.backends.postgresql"):
    # No JIT compilation: a search statement runs in a few milliseconds, and compiling it (which
    # PostgreSQL chose whenever the estimate of a branch the statement then skips was large)
    # took 20-25 ms. ``?options=...`` in DATABASE_URL replaces this.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("options", "-c jit=off")
# Reused across requests on both engines. On SQLite, closing the last connection checkpoints
# and deletes the WAL and a new one starts with an empty page cache: about 20 ms a request.
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache and Redis -----------------------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Task queue (django-q2) ----------------------------------------------------------------
Q_CLUSTER = {
    "name": "weft",
    "workers": env.int("WEFT_WORKERS", default=2),
    "timeout": env.int("WEFT_JOB_TIMEOUT_SECONDS", default=6 * 3600),
    "retry": env.int("WEFT_JOB_TIMEOUT_SECONDS", default=6 * 3600) + 60,
    "max_attempts": 1,
    "ack_failures": True,
    "catch_up": False,
    "save_limit": 1000,
    "label": "Tasks",
}
if REDIS_URL:
    Q_CLUSTER["redis"] = REDIS_URL
else:
    Q_CLUSTER["orm"] = "default"
    Q_CLUSTER["poll"] = 1

# --- Auth and sessions ---------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = ["django.contrib.auth.backends.ModelBackend"]
LOGIN_URL = "/login/"
LOGIN_REDIRECT_URL = "/"

# --- OAuth apps ----------------------------------------------------------------------------
# One platform OAuth app per provider, registered by the operator for this server's callback
# URL ({WEFT_BASE_URL}/api/source-connections/callback): WEFT_OAUTH_<PROVIDER>_CLIENT_ID and
# _CLIENT_SECRET. _AUTHORIZE_URL and _TOKEN_URL override the provider's endpoints (GitHub
# Enterprise, one Microsoft tenant). A provider without an app still offers BYOC.
WEFT_OAUTH_PROVIDERS = (
    "github",
    "google",
    "slack",
    "notion",
    "linear",
    "atlassian",
    "microsoft",
    "dropbox",
    "hubspot",
)
WEFT_OAUTH_APPS = {
    provider: {
        setting: env.str(f"WEFT_OAUTH_{provider.upper()}_{setting.upper()}", default="")
        for setting in ("client_id", "client_secret", "authorize_url", "token_url")
    }
    for provider in WEFT_OAUTH_PROVIDERS
}

# "Log in with GitHub/Google" on the login page uses the same apps when they are configured
# (the pipeline that decides who may log in is under "Social login" below). The login callback
# is {WEFT_BASE_URL}/auth/complete/github/ (or google-oauth2/): register it with the app too.
SOCIAL_AUTH_URL_NAMESPACE = "web:social"
_SOCIAL_LOGINS = (
    ("github", "GITHUB", "social_core.backends.github.GithubOAuth2"),
    ("google", "GOOGLE_OAUTH2", "social_core.backends.google.GoogleOAuth2"),
)
for _provider, _prefix, _backend in _SOCIAL_LOGINS:
    _app = WEFT_OAUTH_APPS[_provider]
    if _app["client_id"] and _app["client_secret"]:
        AUTHENTICATION_BACKENDS.append(_backend)
        globals()[f"SOCIAL_AUTH_{_prefix}_KEY"] = _app["client_id"]
        globals()[f"SOCIAL_AUTH_{_prefix}_SECRET"] = _app["client_secret"]
        if _app["authorize_url"]:
            globals()[f"SOCIAL_AUTH_{_prefix}_AUTHORIZATION_URL"] = _app["authorize_url"]
        if _app["token_url"]:
            globals()[f"SOCIAL_AUTH_{_prefix}_ACCESS_TOKEN_URL"] = _app["token_url"]

# --- HTTPS (production) --------------------------------------------------------------------
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=False)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=False)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=SECURE_SSL_REDIRECT)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=SECURE_SSL_REDIRECT)
if env.bool("USE_X_FORWARDED_PROTO", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

# --- Static files --------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = True

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- API -----------------------------------------------------------------------------------
# Bodies over this size are refused with 413 before any parsing.
WEFT_MAX_BODY_BYTES = env.int("WEFT_MAX_BODY_BYTES", default=10 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = WEFT_MAX_BODY_BYTES
WEFT_RATE_LIMIT_PER_MINUTE = env.int("WEFT_RATE_LIMIT_PER_MINUTE", default=100)
# Each web process remembers an authenticated API key this long (revocation delay).
WEFT_API_KEY_CACHE_SECONDS = env.int("WEFT_API_KEY_CACHE_SECONDS", default=5)
WEFT_API_KEY_DEFAULT_DAYS = 90

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["connections.api.authentication.ApiKeyAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["connections.api.permissions.HasOrganization"],
    "DEFAULT_PARSER_CLASSES": ["config.parsers.JSONParser"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_THROTTLE_CLASSES": ["connections.api.throttling.OrganizationRateThrottle"],
    "EXCEPTION_HANDLER": "config.api_errors.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "UNAUTHENTICATED_USER": None,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Weft API",
    "DESCRIPTION": (
        "Self-hosted sync and search for AI agents. Wire-compatible with Airweave's public API: "
        "point an Airweave client at `http://HOST:PORT/api`."
    ),
    "VERSION": "0.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    # No badge from swagger.io's online validator: the docs page calls no outside service.
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None},
    "REDOC_DIST": "SIDECAR",
    "SCHEMA_PATH_PREFIX": r"/api",
    "COMPONENT_SPLIT_REQUEST": True,
    "SERVERS": [{"url": "/api", "description": "This server"}],
    "SCHEMA_PATH_PREFIX_TRIM": True,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "connections.api.schema.strip_trailing_slashes",
    ],
}

# --- Encryption at rest --------------------------------------------------------------------
# Comma-separated Fernet keys, newest first. The embedded default generates one under DATA_DIR.
WEFT_ENCRYPTION_KEYS = env.list("WEFT_ENCRYPTION_KEYS", default=[]) or [
    _data_secret("encryption_key", _fernet_key)
]

# --- Sync engine ---------------------------------------------------------------------------
WEFT_SYNC_BATCH_SIZE = env.int("WEFT_SYNC_BATCH_SIZE", default=500)
# A running job whose heartbeat is older than this is failed by the sweeper.
WEFT_STALE_JOB_MINUTES = env.int("WEFT_STALE_JOB_MINUTES", default=15)
# A pending job older than this whose task is no longer in the broker is queued again.
WEFT_LOST_JOB_MINUTES = env.int("WEFT_LOST_JOB_MINUTES", default=5)

# --- Sources -------------------------------------------------------------------------------
# Internal sources (stub) are for tests, demos and benchmarks.
WEFT_INTERNAL_SOURCES = env.bool("WEFT_INTERNAL_SOURCES", default=False)
# Auth providers' API roots (tests point them at local fakes).
WEFT_COMPOSIO_API_URL = env.str("WEFT_COMPOSIO_API_URL", default="https://backend.composio.dev")
WEFT_PIPEDREAM_API_URL = env.str("WEFT_PIPEDREAM_API_URL", default="https://api.pipedream.com")
# Folders the `files` source may read (comma-separated); anything outside them is refused.
_DEFAULT_FILES_ROOT = DATA_DIR / "files"
WEFT_FILES_ROOTS = [
    Path(root) for root in env.list("WEFT_FILES_ROOTS", default=[str(_DEFAULT_FILES_ROOT)])
]
if _DEFAULT_FILES_ROOT in WEFT_FILES_ROOTS:
    _DEFAULT_FILES_ROOT.mkdir(exist_ok=True)

# --- Social login ("log in with GitHub/Google" on the web pages) ---------------------------
# A social login signs in a person Weft knows (same verified email); a stranger gets an account
# only when an organization for newcomers is named here (and, if listed, their email domain).
WEFT_SOCIAL_SIGNUP_ORGANIZATION = env.str("WEFT_SOCIAL_SIGNUP_ORGANIZATION", default="")
WEFT_SOCIAL_SIGNUP_DOMAINS = [
    domain.lower() for domain in env.list("WEFT_SOCIAL_SIGNUP_DOMAINS", default=[])
]
SOCIAL_AUTH_PIPELINE = (
    "social_core.pipeline.social_auth.social_details",
    "social_core.pipeline.social_auth.social_uid",
    "social_core.pipeline.social_auth.auth_allowed",
    "social_core.pipeline.social_auth.social_user",
    "web.pipeline.only_verified_email",
    "social_core.pipeline.social_auth.associate_by_email",
    "web.pipeline.require_known_person",
    "social_core.pipeline.social_auth.associate_user",
    "social_core.pipeline.social_auth.load_extra_data",
    "social_core.pipeline.user.user_details",
)
SOCIAL_AUTH_LOGIN_ERROR_URL = "/login/"
SOCIAL_AUTH_GITHUB_SCOPE = ["user:email"]  # the verified addresses, to recognise the person

# --- Search --------------------------------------------------------------------------------
# Semantic search: "none" (keyword only) or "minilm" (needs requirements-embeddings.txt).
WEFT_EMBEDDER = env.str("WEFT_EMBEDDER", default="none")
# An OpenAI-compatible chat endpoint for the classic and agentic tiers (optional).
WEFT_LLM_BASE_URL = env.str("WEFT_LLM_BASE_URL", default="").rstrip("/")
WEFT_LLM_API_KEY = env.str("WEFT_LLM_API_KEY", default="")
WEFT_LLM_MODEL = env.str("WEFT_LLM_MODEL", default="")
WEFT_LLM_TIMEOUT_SECONDS = env.float("WEFT_LLM_TIMEOUT_SECONDS", default=60.0)

# --- Logging -------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "config.middleware.RequestIdLogFilter"}},
    "formatters": {
        "plain": {
            "format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s",
        }
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["request_id"],
        }
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
