from django.conf import settings
from django.core.checks import Error, Tags, Warning, register


@register(Tags.security, deploy=True)
def secret_key_is_not_the_development_default(app_configs, **kwargs):
    if settings.SECRET_KEY == settings.INSECURE_DEFAULT_SECRET_KEY:
        return [
            Error(
                "SECRET_KEY is the built-in development key.",
                hint="Set the SECRET_KEY environment variable to a long random value.",
                id="projects.E001",
            )
        ]
    return []


PROCESS_LOCAL_CACHES = {
    "django.core.cache.backends.locmem.LocMemCache",
    "django.core.cache.backends.dummy.DummyCache",
}


@register(Tags.caches, deploy=True)
def cache_is_shared_between_processes(app_configs, **kwargs):
    """API throttling counts requests in the cache: a cache inside each process would let
    every process (and every host) grant the full rate again."""
    if settings.CACHES["default"]["BACKEND"] in PROCESS_LOCAL_CACHES:
        return [
            Warning(
                "The default cache lives inside each process, so API rate limits multiply by the number of processes.",
                hint="Set CACHE_URL to a shared cache, e.g. redis://127.0.0.1:6379/1.",
                id="projects.W001",
            )
        ]
    return []
