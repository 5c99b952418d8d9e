"""tiercare settings, read from the environment.

Every value that changes between a laptop demo and a hospital's production comes from an environment variable, read
through the small typed helpers below that refuse a bad value with ImproperlyConfigured instead of guessing (the
habit of healthchecks' settings). A variable ``X`` can also be given as ``X_FILE`` naming a file that holds it
(for secrets mounted by an orchestrator).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BASE_DIR.parent.parent
VAR_DIR = Path(os.environ.get("TIERCARE_VAR_DIR", PROJECT_DIR / "var"))


def env(name: str, default: str | None = None) -> str | None:
    """The value of ``name``, or of the file named by ``name_FILE``, or ``default``."""
    file_name = os.environ.get(f"{name}_FILE")
    if file_name:
        try:
            return Path(file_name).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ImproperlyConfigured(f"{name}_FILE={file_name!r} cannot be read: {exc}") from exc
    return os.environ.get(name, default)


def envbool(name: str, default: bool) -> bool:
    value = env(name)
    if value is None or value == "":
        return default
    lowered = value.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name}={value!r} is not a boolean (use true/false)")


def envint(name: str, default: int, *, minimum: int | None = None, maximum: int | None = None) -> int:
    value = env(name)
    if value is None or value == "":
        return default
    try:
        number = int(value)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name}={value!r} is not a whole number") from exc
    if minimum is not None and number < minimum:
        raise ImproperlyConfigured(f"{name}={number} must be at least {minimum}")
    if maximum is not None and number > maximum:
        raise ImproperlyConfigured(f"{name}={number} must be at most {maximum}")
    return number


def envlist(name: str, default: list[str]) -> list[str]:
    value = env(name)
    if value is None or value.strip() == "":
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


DEBUG = envbool("TIERCARE_DEBUG", False)
TESTING = envbool("TIERCARE_TESTING", "pytest" in sys.modules)

# Production is whatever is neither a developer's laptop nor the test suite: HSTS, secure cookies, the HTTPS redirect
# and a real SECRET_KEY are then on unless an operator switches one off by name.
PRODUCTION = not (DEBUG or TESTING)

_INSECURE_DEV_KEY = "tiercare-insecure-development-key-change-me-0123456789"
SECRET_KEY_MIN_LENGTH = 50  # Django's own deploy check (security.W009) asks for 50 characters and 5 distinct ones
SECRET_KEY_MIN_DISTINCT = 10


def check_secret_key(key: str, *, production: bool) -> str:
    """Refuse a SECRET_KEY that is short, made of too few distinct characters (``aaaa…``), or the development key
    in production. It signs sessions, CSRF tokens and password-reset links; a guessable one forges all of them."""
    if len(key) < SECRET_KEY_MIN_LENGTH:
        raise ImproperlyConfigured(f"SECRET_KEY must be at least {SECRET_KEY_MIN_LENGTH} characters long")
    if len(set(key)) < SECRET_KEY_MIN_DISTINCT:
        raise ImproperlyConfigured(
            f"SECRET_KEY must contain at least {SECRET_KEY_MIN_DISTINCT} different characters; generate one with "
            "python3 -c 'import secrets; print(secrets.token_urlsafe(48))'"
        )
    if production and (key == _INSECURE_DEV_KEY or key.startswith("django-insecure")):
        raise ImproperlyConfigured("SECRET_KEY is a development key; generate a secret one for production")
    return key


SECRET_KEY = env("SECRET_KEY") or ""
if not SECRET_KEY:
    if DEBUG or TESTING:
        SECRET_KEY = _INSECURE_DEV_KEY
    else:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Set SECRET_KEY (or SECRET_KEY_FILE), or TIERCARE_DEBUG=true for development."
        )
check_secret_key(SECRET_KEY, production=PRODUCTION)

# The key that hashes national ID numbers. Separate from SECRET_KEY so that rotating sessions does not orphan the
# identifier index; defaults to one derived from SECRET_KEY for a demo.
ID_HASH_KEY = (env("TIERCARE_ID_HASH_KEY") or f"id-hash:{SECRET_KEY}").encode()

ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]", "testserver"] if DEBUG or TESTING else [])
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS", [])
SITE_URL = env("SITE_URL", "http://127.0.0.1:8000") or ""

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "ninja",  # serves the API docs page's Swagger UI from our static files (the CSP allows no CDN)
    "django_tasks",
    "django_tasks_db",
    "tiercare.core",
    "tiercare.network",
    "tiercare.people",
    "tiercare.outreach",
    "tiercare.care",
    "tiercare.consults",
    "tiercare.referrals",
    "tiercare.programs",
    "tiercare.finance",
    "tiercare.triage",
    "tiercare.profiles",
    "tiercare.portal",
    "tiercare.workspace",
    "tiercare.demo",
    # Last, so that core's templates/django/forms/widgets/ (a date's format hint) override Django's own widgets.
    "django.forms",
]

# Ways forward a refused page offers (core.middleware.DomainErrorPageMiddleware): a missing consent recorded in place.
PAGE_ERROR_CONTEXT = ["tiercare.people.consent_views.error_context"]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "tiercare.core.middleware.LanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "tiercare.core.middleware.RequestContextMiddleware",
    "tiercare.core.middleware.DomainErrorPageMiddleware",
    "tiercare.core.middleware.ContentSecurityPolicyMiddleware",
]

# Form widgets render through TEMPLATES (not Django's separate engine), so core's widget templates apply site-wide.
FORM_RENDERER = "django.forms.renderers.TemplatesSetting"

ROOT_URLCONF = "tiercare.urls"
WSGI_APPLICATION = "tiercare.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "tiercare.core.context_processors.workspace",
            ],
        },
    }
]

# --- Database -------------------------------------------------------------------------------------------------
VAR_DIR.mkdir(parents=True, exist_ok=True)
DATABASE_URL = env("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'tiercare.sqlite3'}"
try:
    _db = dj_database_url.parse(DATABASE_URL, conn_max_age=envint("DB_CONN_MAX_AGE", 60, minimum=0))
except Exception as exc:  # dj_database_url raises several kinds for a malformed URL
    raise ImproperlyConfigured(f"DATABASE_URL cannot be parsed: {exc}") from exc
if _db["ENGINE"] == "django.db.backends.sqlite3":
    _db["CONN_MAX_AGE"] = 0
    # WAL lets readers run beside the one writer; a busy timeout makes concurrent writers wait instead of failing.
    _db["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
    }
elif _db["ENGINE"] == "django.db.backends.postgresql":
    _db["CONN_HEALTH_CHECKS"] = True
    # Server-side parameter binding, so that psycopg prepares a query the second time a connection runs it and
    # PostgreSQL plans it once, not on every request (planning was a third of a patient read's database time).
    # Django leaves it off for the sake of transaction-pooling proxies: set DB_PREPARED_STATEMENTS=false behind one.
    if envbool("DB_PREPARED_STATEMENTS", True):
        _db.setdefault("OPTIONS", {}).update(server_side_binding=True, prepare_threshold=2)
    # PostgreSQL's JIT compiler is for long analytic queries. Its cost is paid whenever the planner's estimate
    # passes jit_above_cost, and the planner over-estimates how many audit rows name one patient (it guesses 50,000
    # of 10 M; the real number is a few hundred): JIT compilation then took 48 of a history page's 50 ms
    # (bench/audit_history.py: page + count p50 110 ms with JIT, 2.7 ms without). Every query here is short: off by
    # default, on with DB_JIT=true (a session setting sent at connect, so no server configuration is needed).
    _pg_options = [] if envbool("DB_JIT", False) else ["-c jit=off"]
    # Prepared statements switch to a generic plan after five runs when its estimated cost looks lower; for the
    # team-driven lists that estimate is wrong (a generic plan of the overdue worklist walks the whole network's
    # enrolments by due date: 112 ms against 38 ms planned for the team in hand). Plan each run for its values.
    _plan_cache_mode = env("DB_PLAN_CACHE_MODE") or "force_custom_plan"
    if _plan_cache_mode not in {"auto", "force_custom_plan", "force_generic_plan"}:
        raise ImproperlyConfigured("DB_PLAN_CACHE_MODE must be auto, force_custom_plan or force_generic_plan")
    _pg_options.append(f"-c plan_cache_mode={_plan_cache_mode}")
    _db.setdefault("OPTIONS", {})["options"] = " ".join(_pg_options)
    _db.setdefault("TEST", {})["NAME"] = env("TIERCARE_TEST_DB_NAME") or "test_tiercare"
else:
    raise ImproperlyConfigured(f"DATABASE_URL must be sqlite:// or postgres://, not {_db['ENGINE']}")
DATABASES = {"default": _db}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "core.User"
AUTHENTICATION_BACKENDS = ["django.contrib.auth.backends.ModelBackend"]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
if TESTING:  # a fast hasher keeps the suite quick; production keeps Django's PBKDF2 default
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Login rate limit: this many failures for one username or one address within the window lock it for the window.
LOGIN_MAX_FAILURES = envint("TIERCARE_LOGIN_MAX_FAILURES", 5, minimum=1)
LOGIN_WINDOW_SECONDS = envint("TIERCARE_LOGIN_WINDOW_SECONDS", 900, minimum=1)
# Triage (anonymous): this many requests from one address within the window, then 429 until the window passes.
TRIAGE_RATE_LIMIT = envint("TIERCARE_TRIAGE_RATE_LIMIT", 60, minimum=1)
TRIAGE_RATE_WINDOW_SECONDS = envint("TIERCARE_TRIAGE_RATE_WINDOW_SECONDS", 600, minimum=1)
API_TOKEN_DAYS = envint("TIERCARE_API_TOKEN_DAYS", 30, minimum=1)

# --- Internationalisation -----------------------------------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# --- Static and media ----------------------------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = Path(env("STATIC_ROOT") or VAR_DIR / "static")
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
MEDIA_ROOT = Path(env("MEDIA_ROOT") or VAR_DIR / "media")
MEDIA_URL = "/media/"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG or TESTING
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = DEBUG or TESTING

# --- Background work ------------------------------------------------------------------------------------------
TASKS = {
    "default": {
        "BACKEND": (
            "django_tasks.backends.immediate.ImmediateBackend"
            if TESTING or envbool("TIERCARE_TASKS_IMMEDIATE", False)
            else "django_tasks_db.DatabaseBackend"
        )
    }
}
# The nightly recompute shares its batches among this many database connections (PostgreSQL). Tests run tasks
# inside their own transaction, which other connections cannot see, so they use one.
CARE_RECOMPUTE_WORKERS = envint("CARE_RECOMPUTE_WORKERS", 1 if TESTING else 2, minimum=1)
# After a family-doctor contract expires, its last team may still file an urgent follow-up for this many days.
CARE_LAPSE_GRACE_DAYS = envint("CARE_LAPSE_GRACE_DAYS", 30, minimum=0)
# Online follow-up consultations (issue 16): records are kept as outpatient records, chat and images as chat
# (互联网诊疗监管细则 2022: ≥15 and ≥3 years). An operator may lengthen them; values below the law are refused.
ONLINE_RECORD_RETENTION_YEARS = envint("TIERCARE_ONLINE_RECORD_RETENTION_YEARS", 15, minimum=15)
ONLINE_CHAT_RETENTION_YEARS = envint("TIERCARE_ONLINE_CHAT_RETENTION_YEARS", 3, minimum=3)
# An "unreachable" call takes a patient off the overdue worklist only after this many failed attempts, each on a
# different day, since the last contact (a follow-up, or a call that reached them). Clinical-safety hazard H-17.
CARE_UNREACHABLE_ATTEMPTS = envint("CARE_UNREACHABLE_ATTEMPTS", 3, minimum=1)
# Who hears that the nightly recompute failed (core/notify.py recipients), besides every active operations user.
CARE_ALERT_RECIPIENTS = envlist("CARE_ALERT_RECIPIENTS", [])

# --- Notifications (pluggable, see core/notify.py) ------------------------------------------------------------
NOTIFY_BACKEND = env("TIERCARE_NOTIFY_BACKEND") or (
    "tiercare.core.notify.InMemoryBackend" if TESTING else "tiercare.core.notify.ConsoleBackend"
)

# --- Security ---------------------------------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = envint("TIERCARE_SESSION_SECONDS", 8 * 3600, minimum=60)
SESSION_COOKIE_SECURE = envbool("TIERCARE_SECURE_COOKIES", PRODUCTION)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
BEHIND_TLS_PROXY = envbool("TIERCARE_BEHIND_TLS_PROXY", False)
# How many proxies of ours stand in front of the app, each appending to X-Forwarded-For: the client's address is the
# entry this many from the right (core.middleware.client_ip); entries further left are the client's own claims.
TRUSTED_PROXY_HOPS = envint("TIERCARE_TRUSTED_PROXY_HOPS", 1, minimum=1, maximum=10)
if BEHIND_TLS_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# HTTPS only in production: plain-HTTP requests are redirected, and browsers are told (HSTS) never to try HTTP again
# for a year. Subdomains are included (a hospital's other hosts on the same domain should be HTTPS anyway); joining
# the browsers' preload list is an operator's decision (TIERCARE_HSTS_PRELOAD), hence security.W021 is silenced.
SECURE_SSL_REDIRECT = envbool("TIERCARE_SSL_REDIRECT", PRODUCTION)
SECURE_HSTS_SECONDS = envint("TIERCARE_HSTS_SECONDS", 365 * 24 * 3600 if PRODUCTION else 0, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = envbool("TIERCARE_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = envbool("TIERCARE_HSTS_PRELOAD", False)
SILENCED_SYSTEM_CHECKS = [] if SECURE_HSTS_PRELOAD else ["security.W021"]
# Content-Security-Policy (core.middleware.ContentSecurityPolicyMiddleware), on everywhere (tests and browser tests
# included, so they exercise it): scripts only from our own static files (the vendored htmx and ECharts, and
# static/tiercare/*.js, which read their data from json_script elements and data- attributes; no inline script, no
# inline event handler, no eval). Styles allow 'unsafe-inline' for style attributes only in effect: ECharts' SVG
# renderer and htmx's indicator style write inline styles, and a style cannot run code.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("TIERCARE_LOG_LEVEL", "INFO")},
    "loggers": {"django.request": {"level": "ERROR"}},
}

# --- Domain configuration (regulation facts an operator can correct; see shared regulation notes) -------------
INSURANCE_EXPIRY_WARNING_DAYS = envint("TIERCARE_INSURANCE_WARNING_DAYS", 30, minimum=1)
# Audit log retention in months. Default 180 (15 years): an access log is the audit trail of the medical record it
# guards, and outpatient records are kept >=15 years (医疗机构病历管理规定 2013, 国卫医发〔2013〕31号; 医疗机构管理条例
# 实施细则 Art. 53). Never below 6: network logs are kept >=6 months (网络安全法 Art. 21). PIPL Arts. 55-56 ask >=3
# years for processing records. See docs/adr/0004. PostgreSQL drops whole monthly partitions past it.
AUDIT_RETENTION_MONTHS = envint("TIERCARE_AUDIT_RETENTION_MONTHS", 180, minimum=6)

APP_NAME = _("tiercare")
