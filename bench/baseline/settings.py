"""Settings of the baseline app: no middleware, no sessions, no templates, Django's default
logging; the same PostgreSQL server and persistent connections as the project
(CONN_MAX_AGE, CONN_HEALTH_CHECKS as config/settings.py sets them)."""

import environ

env = environ.Env()

SECRET_KEY = env.str("SECRET_KEY", default="bench-baseline-" + "x" * 50)
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
INSTALLED_APPS = ["django.contrib.contenttypes", "django.contrib.auth", "rest_framework", "bench.baseline"]
MIDDLEWARE = []
ROOT_URLCONF = "bench.baseline.urls"
WSGI_APPLICATION = "bench.baseline.wsgi.application"
DATABASES = {
    "default": {
        **env.db_url_config(env.str("BASELINE_DATABASE_URL", default="postgres://postgres@127.0.0.1:5432/casework_bench_baseline")),
        "CONN_MAX_AGE": 60,
        "CONN_HEALTH_CHECKS": True,
    }
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
USE_TZ = True
TIME_ZONE = "UTC"
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["bench.baseline.authentication.HashedBearerKey"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_THROTTLE_CLASSES": [],
    "UNAUTHENTICATED_USER": None,
}
