"""Clocher settings: one file, configured by environment variables only.

With no variable set, Clocher runs embedded: SQLite in WAL mode, local-memory cache, media in a local
folder, e-mail printed to the console, background tasks in the database. docs/deploy.md lists the
variables for production.
"""

import os
from pathlib import Path
from typing import Any

import dj_database_url
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", False)
# The embedded default is for a developer's machine; production must set its own key.
# Its "django-insecure-" prefix makes `check --deploy` refuse it (security.W009).
SECRET_KEY = env_str("SECRET_KEY", "django-insecure-embedded-default-key-change-me-in-production-0123456789")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "template_partials",
    "csp",
    "django_tasks",
    "django_tasks_db",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "clocher.core",
    "clocher.territories",
    "clocher.accounts",
    "clocher.organisations",
    "clocher.directory",
    "clocher.agenda",
    "clocher.news",
    "clocher.reports",
    "clocher.participation",
    "clocher.notifications",
    "clocher.imports",
    "clocher.api",
    "clocher.backoffice",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "clocher.core.middleware.RequestSizeMiddleware",
    "clocher.core.middleware.RejectNulMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.middleware.gzip.GZipMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "clocher.territories.middleware.PortalMiddleware",
    "clocher.accounts.middleware.AdminSecondFactorMiddleware",
]

# The largest request body: a report's five photos (15 MB each) and one video (50 MB), with room for
# the form. The proxy in front uses the same figure (docs/deploy.md, client_max_body_size 130m).
MAX_REQUEST_BYTES = env_int("MAX_REQUEST_BYTES", 130 * 1024 * 1024)

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES: list[dict[str, Any]] = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "clocher.territories.context_processors.portal",
                "clocher.notifications.context_processors.inbox",
            ],
        },
    },
]

# Database: SQLite (WAL) by default, DATABASE_URL for anything else.
DATABASE_URL = env_str("DATABASE_URL")
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=env_int("CONN_MAX_AGE", 60))}
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        # Pages run many short queries: PostgreSQL's JIT compiles the ones it overestimates and
        # spends more time compiling (20 ms measured on the home feed) than running them.
        DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c jit=off"
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": env_str("SQLITE_PATH", str(BASE_DIR / "var" / "clocher.sqlite3")),
            "OPTIONS": {
                # WAL lets the web server read while the task worker writes.
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
            },
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Cache, sessions and rate limits: Redis when REDIS_URL is set, local memory otherwise.
REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env_str("CACHE_KEY_PREFIX", "clocher"),
        }
    }
    SESSION_ENGINE = "django.contrib.sessions.backends.cache"
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    SESSION_ENGINE = "django.contrib.sessions.backends.db"

# Background work through the Django tasks API: a database queue by default.
TASKS = {
    "default": {
        "BACKEND": env_str("TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
    }
}

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "accounts:profile"
LOGOUT_REDIRECT_URL = "home"

# django-allauth: e-mail is the identifier; it must be verified before an account is used.
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
# Tell people by e-mail when their password, addresses or second factor change: the one warning a
# person whose password was stolen gets.
ACCOUNT_EMAIL_NOTIFICATIONS = True
ACCOUNT_RATE_LIMITS = {
    "login_failed": "5/5m/ip,5/5m/key",
    "signup": "10/h/ip",
    "reset_password": "5/h/ip,3/h/key",
    "confirm_email": "3/10m/key",
}
ACCOUNT_ADAPTER = "clocher.accounts.adapter.AccountAdapter"
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_ADAPTER = "clocher.accounts.adapter.MFAAdapter"
MFA_TOTP_ISSUER = "Clocher"

LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", _("Français")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Paris"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(BASE_DIR / "var" / "static")))
STATICFILES_DIRS = [
    BASE_DIR / "static",
    ("vendor", BASE_DIR / "node_modules"),
]
WHITENOISE_KEEP_ONLY_HASHED_FILES = True
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(BASE_DIR / "var" / "media")))

# Media: a local folder by default, S3-compatible object storage when AWS_STORAGE_BUCKET_NAME is set.
_static_backend = (
    "whitenoise.storage.CompressedManifestStaticFilesStorage"
    if env_bool("STATIC_MANIFEST", not DEBUG)
    else "django.contrib.staticfiles.storage.StaticFilesStorage"
)
if env_str("AWS_STORAGE_BUCKET_NAME"):
    STORAGES: dict[str, dict[str, Any]] = {
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": env_str("AWS_STORAGE_BUCKET_NAME"),
                "endpoint_url": env_str("AWS_S3_ENDPOINT_URL") or None,
                "region_name": env_str("AWS_S3_REGION_NAME") or None,
                "querystring_auth": False,
                "file_overwrite": False,
            },
        },
        "staticfiles": {"BACKEND": _static_backend},
    }
else:
    STORAGES = {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "staticfiles": {"BACKEND": _static_backend},
    }

# The embedded default serves uploaded media itself; production lets the reverse proxy or S3 do it.
SERVE_MEDIA = env_bool("SERVE_MEDIA", not env_str("AWS_STORAGE_BUCKET_NAME"))

EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Clocher <ne-pas-repondre@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Web Push (clocher/notifications/vapid.py). Without these, `clocher vapid` makes a key pair once and
# keeps it in the database. VAPID_PRIVATE_KEY: PEM, or base64url of the raw 32-byte key; the public
# key, when given, must match it. The subject tells push services whom to contact (mailto: or https:).
VAPID_PRIVATE_KEY = env_str("VAPID_PRIVATE_KEY")
VAPID_PUBLIC_KEY = env_str("VAPID_PUBLIC_KEY")
VAPID_SUBJECT = env_str("VAPID_SUBJECT", "mailto:ne-pas-repondre@localhost")
# The push services a browser's subscription may point at (a host, or a parent domain of hosts):
# the server posts to these addresses, so any other one is refused rather than fetched.
PUSH_SERVICE_HOSTS = env_list(
    "PUSH_SERVICE_HOSTS",
    "fcm.googleapis.com,push.services.mozilla.com,notify.windows.com,push.apple.com",
)

# Security headers. HTTPS settings follow SECURE_SSL, which production turns on.
SECURE_SSL = env_bool("SECURE_SSL", False)
SECURE_SSL_REDIRECT = SECURE_SSL
SESSION_COOKIE_SECURE = SECURE_SSL
CSRF_COOKIE_SECURE = SECURE_SSL
SECURE_HSTS_SECONDS = 31536000 if SECURE_SSL else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_SSL
SECURE_HSTS_PRELOAD = SECURE_SSL
if env_bool("BEHIND_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    USE_X_FORWARDED_HOST = True
    # Rate limits count per client address: behind the proxy every request comes from it, so
    # the client is the last address the proxy added to X-Forwarded-For. Without this, five
    # wrong passwords from anyone would lock everybody out.
    ALLAUTH_TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 1)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True

# Map tiles: OpenStreetMap's by default; any XYZ tile server works. Pages stay usable without them.
MAP_TILE_URL = env_str("MAP_TILE_URL", "https://tile.openstreetmap.org/{z}/{x}/{y}.png")
# The Base Adresse Nationale's search API turns an address typed in the report form into a point
# (clocher.reports.geocoding). Empty: no address search, the map and the position still work.
GEOCODER_URL = env_str("GEOCODER_URL", "https://api-adresse.data.gouv.fr/search/")
MAP_TILE_ATTRIBUTION = env_str(
    "MAP_TILE_ATTRIBUTION", '© <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a>'
)


def _origin(url: str) -> str:
    scheme, _sep, rest = url.partition("://")
    return f"{scheme}://{rest.split('/', 1)[0]}" if rest else ""


# A strict Content-Security-Policy: no inline script or style, nothing from another origin.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        # Media from object storage come from another origin (e.g. https://media.example.org).
        "img-src": ["'self'", "data:", *env_list("MEDIA_ORIGIN"), _origin(MAP_TILE_URL)],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "manifest-src": ["'self'"],
        "worker-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

# Where the official geography comes from (npm package installed by `make`).
NODE_MODULES_DIR = Path(env_str("NODE_MODULES_DIR", str(BASE_DIR / "node_modules")))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "WARNING")},
}
