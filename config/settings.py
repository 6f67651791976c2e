"""Settings, driven by the environment.

With nothing set, the project runs on embedded defaults: SQLite and Celery's filesystem
transport, both under `var/`. `DATABASE_URL` (PostgreSQL) and `CELERY_BROKER_URL` (Redis or
RabbitMQ) switch to the production parts. Every variable is listed in docs/operations.md.
"""

import os
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def env_required(name: str) -> str:
    value = os.environ.get(name, "").strip()
    if not value:
        raise ImproperlyConfigured(f"{name} must be set when DJANGO_ENV is production")
    return value


# `production` hardens the web process (HTTPS only, secrets from the environment); anything
# else is development, which runs with embedded defaults.
DJANGO_ENV = os.environ.get("DJANGO_ENV", "development").strip().lower()
PRODUCTION = DJANGO_ENV == "production"

DEBUG = env_bool("DJANGO_DEBUG", not PRODUCTION)
if PRODUCTION:
    if DEBUG:
        raise ImproperlyConfigured("DJANGO_DEBUG must be off when DJANGO_ENV is production")
    SECRET_KEY = env_required("DJANGO_SECRET_KEY")
    ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "")
    if not ALLOWED_HOSTS:
        raise ImproperlyConfigured("DJANGO_ALLOWED_HOSTS must be set when DJANGO_ENV is production")
else:
    # The development key is only accepted while DEBUG is on.
    SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
    if not SECRET_KEY:
        if not DEBUG:
            raise ImproperlyConfigured("DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is off")
        SECRET_KEY = "dev-only-insecure-key-do-not-use-in-production"  # noqa: S105
    ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", "")

# HTTPS only in production. TLS ends at the proxy, which must set X-Forwarded-Proto (and strip
# it from clients' requests); HSTS makes browsers refuse plain HTTP for a year.
SESSION_COOKIE_SECURE = PRODUCTION
CSRF_COOKIE_SECURE = PRODUCTION
SECURE_SSL_REDIRECT = PRODUCTION and env_bool("DJANGO_SECURE_SSL_REDIRECT", True)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if PRODUCTION else None
SECURE_HSTS_SECONDS = (
    int(os.environ.get("DJANGO_SECURE_HSTS_SECONDS", "31536000")) if PRODUCTION else 0
)
SECURE_HSTS_INCLUDE_SUBDOMAINS = PRODUCTION and env_bool(
    "DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", True
)
SECURE_HSTS_PRELOAD = PRODUCTION and env_bool("DJANGO_SECURE_HSTS_PRELOAD", True)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "shop",
    "ml",
    "insights",
    "recommendations",
    "marketing",
    "support",
    "audit",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "audit.context.AuditRequestMiddleware",
]

ROOT_URLCONF = "config.urls"

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

WSGI_APPLICATION = "config.wsgi.application"

DATABASES = {
    "default": dj_database_url.config(
        env="DATABASE_URL",
        default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("DATABASE_CONN_MAX_AGE", "60")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web process read while the worker writes job progress.
    DATABASES["default"].setdefault("OPTIONS", {})
    DATABASES["default"]["OPTIONS"].update(
        {
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            # Take the write lock when a transaction starts, so two worker processes that
            # both read-then-write a job row wait for each other instead of failing.
            "transaction_mode": "IMMEDIATE",
        }
    )
    # Connections are kept (CONN_MAX_AGE, 60 s by default) as on PostgreSQL: opening one
    # (with its PRAGMAs) per request halved the rate of /for-you/ requests that miss the cache
    # (benchmarks/recs_serving.py on the demo store: 1253 requests/s with a connection per
    # request, 2447 kept).
    # A file, not shared-cache memory, so the worker thread of the job tests does not hit
    # SQLite's table locks.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test-db.sqlite3")}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = os.environ.get("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
MEDIA_URL = "media/"
MEDIA_ROOT = VAR_DIR / "media"

LOGIN_URL = "admin:login"

# --- Store -------------------------------------------------------------------------------
STORE_NAME = os.environ.get("STORE_NAME", "Demo Store")
STORE_CURRENCY = os.environ.get("STORE_CURRENCY", "GBP")
SHARED_DATA_DIR = Path(os.environ.get("SHARED_DATA_DIR", BASE_DIR.parent / "shared" / "data"))

# --- REST API ----------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "shop.api.authentication.ApiKeyAuthentication",
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 25,
    "DEFAULT_SCHEMA_CLASS": "config.api.AutoSchema",
    # Every endpoint counts each caller's requests (per API key, user or client address);
    # token issue and event ingest add tighter budgets of their own. "<n>/<second|minute|
    # hour|day>"; 429 with Retry-After beyond it.
    "DEFAULT_THROTTLE_CLASSES": ["shop.api.throttling.CallerRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {
        "anon": os.environ.get("API_ANON_THROTTLE", "60/minute"),
        "user": os.environ.get("API_USER_THROTTLE", "600/minute"),
        "storefront": os.environ.get("API_STOREFRONT_THROTTLE", "6000/minute"),
        "events": os.environ.get("API_EVENTS_THROTTLE", "120/minute"),
        "auth_token": os.environ.get("API_AUTH_TOKEN_THROTTLE", "20/minute"),
    },
    # Behind the proxy, the client's address is the last one it appends to X-Forwarded-For.
    "NUM_PROXIES": int(os.environ["API_NUM_PROXIES"])
    if os.environ.get("API_NUM_PROXIES")
    else None,
    "EXCEPTION_HANDLER": "config.api.exception_handler",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Back office API",
    "DESCRIPTION": "Storefront and staff API of the store's back office.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # Swagger UI served from the installed sidecar package, not from a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # `<id:...>` path parameters (config.api_urls.DatabaseIdConverter).
    "PATH_CONVERTER_OVERRIDES": {
        "id": {"type": "integer", "minimum": 0, "maximum": 999_999_999_999_999_999}
    },
    # Two models have a `status` enum; name each so the schema has no collision.
    "ENUM_NAME_OVERRIDES": {
        "OrderStatusEnum": "shop.models.Order.Status",
        "JobStatusEnum": "ml.models.Job.Status",
        "ConversationStatusEnum": "support.models.Conversation.Status",
        "SalesForecastKindEnum": "insights.models.SalesForecast.Kind",
    },
}
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "backoffice",
        # The default 300 entries would evict the API's cached lists of a busy store.
        "OPTIONS": {"MAX_ENTRIES": 20_000},
    }
}
if os.environ.get("CACHE_URL"):
    CACHES["default"] = {
        # Django's Redis backend, keeping one client instead of building one per call.
        "BACKEND": "config.cache.ReusedClientRedisCache",
        "LOCATION": os.environ["CACHE_URL"],
    }

# 1: behaviour events (POST /api/v1/events/) commit on PostgreSQL without waiting for the disk
# (shop.services.event_create_batch), about 3x faster ingest, but a crash of the database
# server can lose the last fraction of a second of acknowledged events. Off by default: the
# store loses no data unless its operator chooses to.
EVENTS_ASYNC_COMMIT = env_bool("EVENTS_ASYNC_COMMIT", False)

# --- Celery ------------------------------------------------------------------------------
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "filesystem://")
CELERY_BROKER_TRANSPORT_OPTIONS: dict = {}
if CELERY_BROKER_URL.startswith("filesystem://"):
    _queue_dir = VAR_DIR / "celery" / "queue"
    _processed_dir = VAR_DIR / "celery" / "processed"
    _control_dir = VAR_DIR / "celery" / "control"
    for _d in (_queue_dir, _processed_dir, _control_dir):
        _d.mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_queue_dir),
        "data_folder_out": str(_queue_dir),
        "processed_folder": str(_processed_dir),
        "control_folder": str(_control_dir),
        "store_processed": False,
    }
# The Job row is the record of every result; Celery's own result store is not used.
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_DEFAULT_QUEUE = "default"
# Heavy ML work goes to the `gpu` queue; each job kind declares its queue (ml.job_kinds).
CELERY_TASK_ROUTES = ("ml.job_kinds.job_task_route",)
CELERY_TASK_ACKS_LATE = True
# A web request that submits a job must not hang on a broker that is down: give up on sending
# after ~1 s (the job row says so, and the stale-job check sends it once the broker is back).
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 2,
    "interval_start": 0,
    "interval_step": 0.3,
    "interval_max": 0.5,
}
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_ALWAYS_EAGER = False
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_BEAT_SCHEDULE = {
    "requeue-stale-jobs": {
        "task": "ml.jobs_requeue_stale",
        "schedule": crontab(),  # every minute
    },
    "nightly-product-rating-aggregates": {
        "task": "shop.recompute_rating_aggregates_nightly",
        "schedule": crontab(hour=2, minute=15),
    },
    "nightly-sentiment-scoring": {
        "task": "insights.sentiment_score_unscored_nightly",
        "schedule": crontab(hour=1, minute=30),
    },
    "nightly-aspects-extract": {
        "task": "insights.aspects_extract_nightly",
        "schedule": crontab(hour=2, minute=45),
    },
    "nightly-sentiment-alerts": {
        "task": "insights.sentiment_alerts_check_nightly",
        "schedule": crontab(hour=3, minute=30),
    },
    "nightly-review-summaries": {
        "task": "insights.review_summaries_nightly",
        "schedule": crontab(hour=4, minute=0),
    },
    "nightly-recommenders-training": {
        "task": "recommendations.train_nightly",
        "schedule": crontab(hour=0, minute=30),
    },
    "hourly-personal-lists": {
        "task": "recommendations.lists_hourly",
        "schedule": crontab(minute=20),
    },
    "hourly-ad-losers-paused": {
        "task": "marketing.pause_losers_hourly",
        "schedule": crontab(minute=35),
    },
    "nightly-customer-scores": {
        "task": "insights.customer_scores_nightly",
        "schedule": crontab(hour=3, minute=0),
    },
    "nightly-support-kb-index": {
        "task": "support.kb_index_nightly",
        "schedule": crontab(hour=4, minute=30),
    },
    "nightly-sales-forecast": {
        "task": "insights.sales_forecast_nightly",
        "schedule": crontab(hour=3, minute=30),
    },
    "nightly-purchase-propensity": {
        "task": "insights.purchase_propensity_score_nightly",
        "schedule": crontab(hour=3, minute=15),
    },
    "nightly-campaign-effects": {
        "task": "insights.campaign_effects_nightly",
        "schedule": crontab(hour=2, minute=30),
    },
    "nightly-behaviour-clusters": {
        "task": "insights.behaviour_clusters_nightly",
        "schedule": crontab(hour=3, minute=45),
    },
    "nightly-search-insights": {
        "task": "insights.search_insights_nightly",
        "schedule": crontab(hour=4, minute=15),
    },
    "weekly-price-suggestions": {
        "task": "insights.price_suggestions_weekly",
        "schedule": crontab(hour=4, minute=15, day_of_week="mon"),
    },
    "weekly-purchase-propensity-training": {
        "task": "insights.purchase_propensity_train_weekly",
        "schedule": crontab(hour=1, minute=0, day_of_week="sun"),
    },
}

# --- sales forecasts and stock (insights.services.forecasts) -------------------------------
# Lead time of a product without `attributes["lead_time_days"]`, how often orders are placed,
# and the wanted probability of not running out before a delivery arrives.
INSIGHTS_DEFAULT_LEAD_TIME_DAYS = 14
INSIGHTS_REVIEW_PERIOD_DAYS = 7
INSIGHTS_SERVICE_LEVEL = 0.95

# --- price suggestions (insights.services.pricing) -----------------------------------------
# A suggestion moves a price by at most this share either way, and never below the margin
# floor: (price - unit cost) / price >= INSIGHTS_PRICE_MARGIN_FLOOR. Elasticity is estimated
# from the last INSIGHTS_PRICE_HISTORY_WEEKS whole weeks of sales; a product with at least
# INSIGHTS_PRICE_MIN_CHANGES week-to-week changes of its mean price paid is estimated alone,
# any other from its category's products pooled.
INSIGHTS_PRICE_MAX_CHANGE = float(os.environ.get("INSIGHTS_PRICE_MAX_CHANGE", "0.10"))
INSIGHTS_PRICE_MARGIN_FLOOR = float(os.environ.get("INSIGHTS_PRICE_MARGIN_FLOOR", "0.20"))
INSIGHTS_PRICE_HISTORY_WEEKS = int(os.environ.get("INSIGHTS_PRICE_HISTORY_WEEKS", "52"))
INSIGHTS_PRICE_MIN_CHANGES = int(os.environ.get("INSIGHTS_PRICE_MIN_CHANGES", "4"))

# --- ML ----------------------------------------------------------------------------------
# "default" means the packaged model named in docs/decisions; any local directory or
# Hugging Face id already in the local cache may be given instead.
ML_ENCODER = os.environ.get("ML_ENCODER", "default")
ML_GENERATOR = os.environ.get("ML_GENERATOR", "default")
ML_DEVICE = os.environ.get("ML_DEVICE", "auto")
# A running job's worker writes a heartbeat this often; after ML_JOB_STALE_BEATS missed beats
# the job is sent to a worker again (at most ML_JOB_MAX_ATTEMPTS starts in all).
ML_JOB_HEARTBEAT_S = float(os.environ.get("ML_JOB_HEARTBEAT_S", "30"))
ML_JOB_STALE_BEATS = int(os.environ.get("ML_JOB_STALE_BEATS", "4"))
ML_JOB_MAX_ATTEMPTS = int(os.environ.get("ML_JOB_MAX_ATTEMPTS", "3"))
# A queued job whose message was sent this long ago, that no worker started while its queue on
# the broker is empty, lost its message (a broker restart) and is sent again.
ML_JOB_RESEND_AFTER_S = float(os.environ.get("ML_JOB_RESEND_AFTER_S", "300"))
ML_ARTIFACTS = {
    "BACKEND": "django.core.files.storage.FileSystemStorage",
    "OPTIONS": {"location": os.environ.get("ML_ARTIFACTS_DIR", str(VAR_DIR / "artifacts"))},
}
ML_CACHE_DIR = Path(os.environ.get("ML_CACHE_DIR", VAR_DIR / "model-cache"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    "ml_artifacts": ML_ARTIFACTS,
}
# Nothing is fetched from a model hub at run time.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

# The formatter redacts e-mail addresses and card numbers (shop.privacy.detection), a second
# line of defence: the test suite writes every record unredacted to VAR_DIR/logs/ and fails
# when one holds personal data (tests/conftest.py). LOG_FILE adds a log file.
LOG_FILE = os.environ.get("LOG_FILE", "")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {
            "()": "shop.privacy.detection.RedactingFormatter",
            "format": "%(asctime)s %(levelname)s %(name)s: %(message)s",
        }
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain"},
        **(
            {
                "file": {
                    "class": "logging.handlers.WatchedFileHandler",
                    "filename": LOG_FILE,
                    "formatter": "plain",
                }
            }
            if LOG_FILE
            else {}
        ),
    },
    "root": {
        "handlers": ["console", "file"] if LOG_FILE else ["console"],
        "level": os.environ.get("LOG_LEVEL", "INFO"),
    },
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# --- Support assistant -------------------------------------------------------------------
# Days after the order date during which a delivered order can be returned (the tools and
# the seeded returns article state the same number).
SUPPORT_RETURN_WINDOW_DAYS = int(os.environ.get("SUPPORT_RETURN_WINDOW_DAYS", "30"))
# Phrase answers with the generator (checked against the sources; extractive otherwise).
# Off by default: on a CPU a generated answer takes seconds.
SUPPORT_GENERATE_ANSWERS = os.environ.get("SUPPORT_GENERATE_ANSWERS", "0") == "1"
# Passages below this cosine similarity to the question are not relevant (chosen in
# tests/support/test_retrieval_quality.py); at most this many are cited.
SUPPORT_RETRIEVAL_THRESHOLD = float(os.environ.get("SUPPORT_RETRIEVAL_THRESHOLD", "0.3"))
SUPPORT_RETRIEVAL_TOP_K = int(os.environ.get("SUPPORT_RETRIEVAL_TOP_K", "2"))
# A shopper message this similar to an earlier one of the conversation is a repeat.
SUPPORT_REPEAT_SIMILARITY = float(os.environ.get("SUPPORT_REPEAT_SIMILARITY", "0.9"))
