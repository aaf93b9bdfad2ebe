"""Settings shared by every environment.

With no environment variables this runs on the embedded default (SQLite, local-memory
cache, in-memory channel layer, eager Celery, local files, console email). Setting
DATABASE_URL and REDIS_URL switches the same code to PostgreSQL and Redis.
"""

import os
from datetime import timedelta
from pathlib import Path

import environ
from celery.schedules import crontab
from kombu import Queue

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
if (BASE_DIR / ".env").is_file():
    environ.Env.read_env(BASE_DIR / ".env")

# --- Core -----------------------------------------------------------------------------
SECRET_KEY = env("SECRET_KEY", default="dev-only-insecure-key-change-me-in-production-0123456789")
DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

# The bounded contexts, lowest layer first (see ARCHITECTURE.md section 1).
LMS_APPS = [
    "accounts",
    "courses",
    "enrollments",
    "quizzes",
    "assignments",
    "payments",
    "certificates",
    "analytics",
]

INSTALLED_APPS = [
    "daphne",  # its runserver serves HTTP and WebSockets in development
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework_simplejwt",
    "rest_framework_simplejwt.token_blacklist",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "corsheaders",
    "channels",
    "django_celery_beat",
    "django_prometheus",
    "lms",
    "lms.outbox",
    "lms.audit",
    *LMS_APPS,
    "bench",  # the benchmark dataset and tools; not an LMS app (no URLs, no layer)
]

MIDDLEWARE = [
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "lms.middleware.RequestIdMiddleware",
    "lms.middleware.AccessLogMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "django.middleware.gzip.GZipMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "lms.middleware.ContentSecurityPolicyMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]

ROOT_URLCONF = "lms.urls"
WSGI_APPLICATION = "lms.wsgi.application"
ASGI_APPLICATION = "lms.asgi.application"
AUTH_USER_MODEL = "accounts.User"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

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
                # The header's "Instructor" link (templates/base.html).
                "courses.context_processors.instructor_nav",
                # home_url, home_label: where this user's home is (accounts.home).
                "accounts.context_processors.home",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Django's own psycopg 3 pool; it requires CONN_MAX_AGE=0. With the database down a
    # request waits DB_POOL_TIMEOUT for a connection; /health/ready does not use the pool
    # (its own connection, answered within 1 s: lms/health.py, docs/deploy.md "Health").
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": env.int("DB_POOL_MIN_SIZE", default=1),
        "max_size": env.int("DB_POOL_MAX_SIZE", default=4),
        "timeout": env.float("DB_POOL_TIMEOUT", default=10.0),
    }
DATABASES["default"]["ATOMIC_REQUESTS"] = False

# --- Redis: cache, channel layer and Celery broker ---------------------------------------
# Redis down degrades, never breaks: docs/decisions/0013-redis-down.md.
REDIS_URL = env("REDIS_URL", default="")
CACHE_KEY_PREFIX = env("CACHE_KEY_PREFIX", default="lms")
# A dead Redis must fail fast: a connect gives up after this long, a reply after
# REDIS_SOCKET_TIMEOUT, and after a failure Redis is skipped for REDIS_OUTAGE_BACKOFF
# seconds (reads go to the database at once), so a request pays one timeout at most.
REDIS_CONNECT_TIMEOUT = env.float("REDIS_CONNECT_TIMEOUT", default=0.5)
REDIS_SOCKET_TIMEOUT = env.float("REDIS_SOCKET_TIMEOUT", default=1.0)
REDIS_OUTAGE_BACKOFF = env.float("REDIS_OUTAGE_BACKOFF", default=1.0)
if REDIS_URL:
    CACHES = {
        "default": {
            # Every operation fails open (reads miss, writes are dropped), one log line
            # per outage window; lms.cache keeps version bumps from being lost.
            "BACKEND": "lms.cache.backend.FailOpenRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": CACHE_KEY_PREFIX,
            "OPTIONS": {
                "CLIENT_CLASS": "django_redis.client.DefaultClient",
                "SOCKET_CONNECT_TIMEOUT": REDIS_CONNECT_TIMEOUT,
                "SOCKET_TIMEOUT": REDIS_SOCKET_TIMEOUT,
                "OUTAGE_BACKOFF": REDIS_OUTAGE_BACKOFF,
            },
        }
    }
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [REDIS_URL], "prefix": f"{CACHE_KEY_PREFIX}:asgi"},
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "KEY_PREFIX": CACHE_KEY_PREFIX,
        }
    }
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

# --- Celery -----------------------------------------------------------------------------
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default=REDIS_URL or "memory://")
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=not REDIS_URL)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_IGNORE_RESULT = True
CELERY_RESULT_BACKEND = None
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"
CELERY_TASK_QUEUES = [
    Queue(name) for name in ("default", "emails", "certificates", "progress", "webhooks")
]
CELERY_TASK_DEFAULT_QUEUE = "default"
# Every task in this project is idempotent (ARCHITECTURE.md section 2), so a task is
# acknowledged only once it has run, and re-queued if its worker dies mid-way.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=240)
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=300)
# An unreachable broker must never hang a request: connect and publish give up quickly,
# and whatever must not be lost waits in the outbox for the relay's next round. Requests
# publish only the outbox relay's nudge, which is skipped for a while after a failure
# (lms.outbox.services._nudge_relay).
CELERY_BROKER_CONNECTION_TIMEOUT = REDIS_CONNECT_TIMEOUT
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "socket_connect_timeout": REDIS_CONNECT_TIMEOUT,
    "socket_timeout": 5,
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.5,
}
CELERY_TASK_PUBLISH_RETRY = True
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.5,
}
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_BEAT_SCHEDULE = {
    "outbox-relay": {
        "task": "lms.outbox.tasks.outbox_relay_task",
        "schedule": env.float("OUTBOX_RELAY_INTERVAL", default=5.0),
        # A relay round that waited longer than its interval is superseded by the next one.
        "options": {"expires": env.float("OUTBOX_RELAY_INTERVAL", default=5.0) * 2},
    },
    "outbox-purge": {
        "task": "lms.outbox.tasks.outbox_purge_task",
        "schedule": crontab(hour=3, minute=17),
    },
    "auth-tables-purge": {
        "task": "accounts.tasks.auth_tables_purge_task",
        "schedule": crontab(hour=3, minute=37),
    },
    "quizzes-expire-attempts": {
        # Attempts past deadline + QUIZ_GRACE_SECONDS are submitted with their answers.
        "task": "quizzes.tasks.attempts_expire_task",
        "schedule": env.float("QUIZ_EXPIRY_INTERVAL", default=60.0),
        "options": {"expires": env.float("QUIZ_EXPIRY_INTERVAL", default=60.0) * 2},
    },
    "payments-reconcile": {
        "task": "payments.tasks.payments_reconcile_task",
        "schedule": crontab(minute=23),  # hourly
    },
}

# Quizzes: answers are accepted this long after an attempt's deadline (network latency).
QUIZ_GRACE_SECONDS = env.int("QUIZ_GRACE_SECONDS", default=30)

# --- Auth -------------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# bcrypt first (the design asks for it); the others stay so old hashes verify and are
# upgraded to bcrypt at the next successful login.
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.BCryptSHA256PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]
# Lockout and inactive users are enforced in this backend, so the admin, the session
# pages and the API all share them.
AUTHENTICATION_BACKENDS = ["accounts.backends.LockoutModelBackend"]
LOGIN_URL = "accounts:login"
# Where signing in lands (accounts.home.home_url_for; `?next=` wins when it is safe):
# learners on My learning, course teams and admins on the instructor pages. URL names or paths.
LEARNER_HOME_URL = "enrollments:my_learning"
TEAM_HOME_URL = "courses:instructor_courses"
# Django's own default, for code that reads it; the login views ask home_url_for.
LOGIN_REDIRECT_URL = LEARNER_HOME_URL
LOGOUT_REDIRECT_URL = "accounts:login"
CSRF_FAILURE_VIEW = "lms.views.csrf_failure"
# SQLite cannot create the deferrable position constraints; there the row lock in the
# course services is the only guard, which is fine for the embedded default.
SILENCED_SYSTEM_CHECKS = ["models.W038"]
PASSWORD_RESET_TIMEOUT = env.int("PASSWORD_RESET_TIMEOUT", default=60 * 60)  # seconds
EMAIL_VERIFICATION_TIMEOUT = env.int("EMAIL_VERIFICATION_TIMEOUT", default=3 * 24 * 60 * 60)
# Absolute links in every email (lms/links.py, docs/decisions/0015-links-in-emails.md):
# the app's own pages on PUBLIC_BASE_URL (an origin: scheme, host and port; bin/run sets it
# to where it serves), unless a link has a template for an SPA or a mobile app, e.g.
# LINK_VERIFY_EMAIL="{frontend}/verify?token={token}" ({frontend} is FRONTEND_URL). Every
# LINK_<NAME> variable is read; unknown names and placeholders fail the system checks.
PUBLIC_BASE_URL = env("PUBLIC_BASE_URL", default="http://127.0.0.1:8000").rstrip("/")
FRONTEND_URL = env("FRONTEND_URL", default=PUBLIC_BASE_URL).rstrip("/")
LINK_TEMPLATES = {
    name.removeprefix("LINK_").lower(): value
    for name, value in os.environ.items()
    if name.startswith("LINK_") and value
}

# Sessions (the server-rendered pages, the admin) live in the database, so they hold
# when Redis is down; so do lockout counters, refresh-token families and WebSocket tickets.
SESSION_ENGINE = "django.contrib.sessions.backends.db"

LOCKOUT_THRESHOLD = env.int("LOCKOUT_THRESHOLD", default=5)
LOCKOUT_DURATION = timedelta(minutes=env.int("LOCKOUT_MINUTES", default=15))

# MFA (TOTP). Roles listed here must set up MFA before their login completes.
MFA_ISSUER = env("MFA_ISSUER", default="LMS")
MFA_REQUIRED_ROLES = env.list("MFA_REQUIRED_ROLES", default=[])
MFA_TOKEN_TTL = timedelta(minutes=5)
WS_TICKET_TTL = timedelta(seconds=30)

# Payments (Stripe). Paid checkouts are switched on by both the secret key and the webhook
# signing secret; without them paid courses answer 503 and free ones work as before.
STRIPE_SECRET_KEY = env("STRIPE_SECRET_KEY", default="")
STRIPE_WEBHOOK_SECRET = env("STRIPE_WEBHOOK_SECRET", default="")
STRIPE_API_BASE = env("STRIPE_API_BASE", default="https://api.stripe.com").rstrip("/")
STRIPE_CHECKOUT_API_BASE = env("STRIPE_CHECKOUT_API_BASE", default=STRIPE_API_BASE).rstrip("/")
STRIPE_WEBHOOK_TOLERANCE = env.int("STRIPE_WEBHOOK_TOLERANCE", default=300)  # seconds
STRIPE_MAX_NETWORK_RETRIES = env.int("STRIPE_MAX_NETWORK_RETRIES", default=2)
PAYMENTS_SUCCESS_URL = env("PAYMENTS_SUCCESS_URL", default=f"{PUBLIC_BASE_URL}/payments/success/")
PAYMENTS_CANCEL_URL = env("PAYMENTS_CANCEL_URL", default=f"{PUBLIC_BASE_URL}/payments/cancel/")
PAYMENTS_REVOKE_ON_FULL_REFUND = env.bool("PAYMENTS_REVOKE_ON_FULL_REFUND", default=True)
PAYMENTS_REVOKE_ON_DISPUTE = env.bool("PAYMENTS_REVOKE_ON_DISPUTE", default=True)

SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=15),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=30),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "UPDATE_LAST_LOGIN": False,
    "ALGORITHM": "HS256",
    "SIGNING_KEY": env("JWT_SIGNING_KEY", default="") or SECRET_KEY,
    "AUDIENCE": env("JWT_AUDIENCE", default="lms-api"),
    "ISSUER": env("JWT_ISSUER", default="lms"),
    "LEEWAY": 0,
    "AUTH_HEADER_TYPES": ("Bearer",),
    "USER_ID_FIELD": "id",
    "USER_ID_CLAIM": "user_id",
    "JTI_CLAIM": "jti",
    "TOKEN_TYPE_CLAIM": "token_type",
}
# Cookie mode for browser SPAs: HttpOnly tokens, CSRF as for Django forms.
AUTH_COOKIE_ACCESS = "lms_access"
AUTH_COOKIE_REFRESH = "lms_refresh"
AUTH_COOKIE_REFRESH_PATH = "/api/v1/auth/refresh/"
AUTH_COOKIE_SECURE = env.bool("AUTH_COOKIE_SECURE", default=False)
AUTH_COOKIE_SAMESITE = "Lax"

# --- I18N -------------------------------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Static and media files ---------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "staticfiles")
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "media")
AZURE_CONNECTION_STRING = env("AZURE_CONNECTION_STRING", default="")
AZURE_CONTAINER = env("AZURE_CONTAINER", default="media")
if AZURE_CONNECTION_STRING:
    _default_storage = {
        "BACKEND": "storages.backends.azure_storage.AzureStorage",
        "OPTIONS": {
            "connection_string": AZURE_CONNECTION_STRING,
            "azure_container": AZURE_CONTAINER,
            "expiration_secs": env.int("AZURE_URL_EXPIRATION_SECS", default=3600),
        },
    }
else:
    _default_storage = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
STORAGES = {
    "default": _default_storage,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Assignment submission and feedback files are private: Azure Blob in their own container
# when AZURE_CONNECTION_STRING is set, else a local directory outside MEDIA_ROOT and the
# static files; downloads only through short-lived signed URLs (assignments/README.md).
AZURE_SUBMISSIONS_CONTAINER = env("AZURE_SUBMISSIONS_CONTAINER", default="submissions")
ASSIGNMENTS_FILES_ROOT = env.path("ASSIGNMENTS_FILES_ROOT", default=BASE_DIR / "private")
ASSIGNMENTS_MAX_FILE_SIZE = env.int("ASSIGNMENTS_MAX_FILE_SIZE", default=100 * 1024 * 1024)
ASSIGNMENTS_DOWNLOAD_URL_TTL = env.int("ASSIGNMENTS_DOWNLOAD_URL_TTL", default=300)
# Bodies are limited at the proxy (nginx client_max_body_size) and here.
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=5 * 1024 * 1024)
FILE_UPLOAD_MAX_MEMORY_SIZE = env.int("FILE_UPLOAD_MAX_MEMORY_SIZE", default=5 * 1024 * 1024)

# --- Email ------------------------------------------------------------------------------
EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="LMS <no-reply@localhost>")

# --- Security headers ---------------------------------------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
CONTENT_SECURITY_POLICY = env(
    "CONTENT_SECURITY_POLICY",
    default=(
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data: blob:; font-src 'self' data:; connect-src 'self'; "
        # Video lessons play files hosted anywhere over HTTPS (a lesson's video_url).
        "media-src 'self' https:; "
        # The course page's buy form is answered with a redirect to Stripe Checkout, and
        # browsers check form-action on a form's redirects too.
        "object-src 'none'; base-uri 'self'; form-action 'self' https://checkout.stripe.com; "
        "frame-ancestors 'none'"
    ),
)
CORS_ALLOWED_ORIGINS = env.list("CORS_ALLOWED_ORIGINS", default=[])
CORS_ALLOW_CREDENTIALS = True
CORS_EXPOSE_HEADERS = ["X-Request-ID", "Retry-After"]
CORS_ALLOW_HEADERS = [
    "accept",
    "authorization",
    "content-type",
    "user-agent",
    "x-csrftoken",
    "x-requested-with",
    "x-request-id",
]

# --- API --------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.BearerJWTAuthentication",
        "accounts.authentication.CookieJWTAuthentication",
        "accounts.authentication.CsrfSessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["lms.api.renderers.EnvelopeJSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [
        "rest_framework.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_PAGINATION_CLASS": "lms.api.pagination.PageNumberPagination",
    "PAGE_SIZE": 20,
    "EXCEPTION_HANDLER": "lms.api.exceptions.problem_exception_handler",
    "DEFAULT_THROTTLE_CLASSES": [
        "lms.api.throttling.AnonRateThrottle",
        "lms.api.throttling.UserRateThrottle",
        "lms.api.throttling.ScopedRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env("THROTTLE_ANON", default="100/min"),
        "user": env("THROTTLE_USER", default="100/min"),
        "auth": env("THROTTLE_AUTH", default="60/min"),
        "uploads": env("THROTTLE_UPLOADS", default="100/hour"),
        "submissions": env("THROTTLE_SUBMISSIONS", default="60/min"),
    },
    "NUM_PROXIES": env.int("NUM_PROXIES", default=0),
    "DEFAULT_SCHEMA_CLASS": "lms.api.schema.EnvelopeAutoSchema",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
API_DOCS_ENABLED = env.bool("API_DOCS", default=True)
SPECTACULAR_SETTINGS = {
    "TITLE": "LMS API",
    "DESCRIPTION": (
        "Versioned JSON API of the LMS. Success bodies are `{data, meta}`; errors are "
        "RFC 9457 `application/problem+json`."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SCHEMA_PATH_PREFIX": r"/api/v[0-9]+",
    "COMPONENT_SPLIT_REQUEST": True,
    # Choice sets whose field names repeat across apps get names of their own.
    "ENUM_NAME_OVERRIDES": {
        "CourseStatusEnum": "courses.models.Course.Status",
        "LessonKindEnum": "courses.models.Lesson.Kind",
        "QuestionKindEnum": "quizzes.grading.KINDS",
        "QuizRevealPolicyEnum": "quizzes.api.serializers.REVEAL",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "lms.api.schema.add_problem_responses",
    ],
}

# --- Observability ------------------------------------------------------------------------
METRICS_ENABLED = env.bool("METRICS_ENABLED", default=True)
# CIDR networks allowed to read /metrics; empty means anyone who reaches the app.
METRICS_ALLOWED_NETWORKS = env.list("METRICS_ALLOWED_NETWORKS", default=[])
LOG_LEVEL = env("LOG_LEVEL", default="INFO")
# One line per request (lms.request, its level by status: 5xx ERROR, 4xx WARNING) and one
# line with the traceback per unhandled exception; nothing repeats either. Everything goes
# to the root's JSON handler only.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "request_context": {"()": "lms.logging.RequestContextFilter"},
        "unhandled_errors_only": {"()": "lms.logging.UnhandledErrorsOnly"},
        "no_server_access_lines": {"()": "lms.logging.NoServerAccessLines"},
    },
    "formatters": {"json": {"()": "lms.logging.RedactingJsonFormatter"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "json",
            "filters": ["request_context"],
        }
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        # Django's defaults give "django" a plain-text console handler (DEBUG only) and
        # mail_admins next to the root's: every django.* record would be written twice.
        "django": {"handlers": [], "level": LOG_LEVEL, "propagate": True},
        # Its per-response lines repeat lms.request; only unhandled exceptions stay.
        "django.request": {"level": "ERROR", "filters": ["unhandled_errors_only"]},
        # The development servers' own access lines repeat lms.request too. (Django's
        # defaults give django.server a handler of its own and propagate=False.)
        "django.server": {"filters": ["no_server_access_lines"], "propagate": True},
        "django.channels.server": {"filters": ["no_server_access_lines"], "propagate": True},
    },
}
SENTRY_DSN = env("SENTRY_DSN", default="")
if SENTRY_DSN:
    import sentry_sdk
    from sentry_sdk.integrations.celery import CeleryIntegration
    from sentry_sdk.integrations.django import DjangoIntegration

    sentry_sdk.init(
        dsn=SENTRY_DSN,
        integrations=[DjangoIntegration(), CeleryIntegration()],
        environment=env("SENTRY_ENVIRONMENT", default="production"),
        traces_sample_rate=env.float("SENTRY_TRACES_SAMPLE_RATE", default=0.0),
        send_default_pii=False,
    )
