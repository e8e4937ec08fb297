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


# Their `incr` reads the value and writes it back: concurrent requests can count as one.
NON_ATOMIC_COUNTER_CACHES = {
    "django.core.cache.backends.db.DatabaseCache",
    "django.core.cache.backends.filebased.FileBasedCache",
}


@register(Tags.caches, deploy=True)
def cache_counts_atomically(app_configs, **kwargs):
    if settings.CACHES["default"]["BACKEND"] in NON_ATOMIC_COUNTER_CACHES:
        return [
            Warning(
                "The default cache does not increment atomically, so concurrent API requests can be counted once.",
                hint="Set CACHE_URL to Redis or Memcached, e.g. redis://127.0.0.1:6379/1.",
                id="projects.W002",
            )
        ]
    return []


@register()
def api_throttle_settings_are_valid(app_configs, **kwargs):
    from django.core.exceptions import ImproperlyConfigured

    from workflows.api.throttling import default_limits

    try:
        limits = default_limits()
    except (ImproperlyConfigured, TypeError, ValueError) as error:
        return [Error(str(error), hint="See README, 'Sizing the rate limits'.", id="projects.E002")]
    if limits.burst < limits.per_second:
        return [
            Warning(
                f"API_THROTTLE_BURST {limits.burst} is below the sustained rate API_THROTTLE_RATE "
                f"({limits.per_second:g} a second), which can then never be reached.",
                hint="Raise API_THROTTLE_BURST or lower API_THROTTLE_RATE.",
                id="projects.W003",
            )
        ]
    return []


@register(Tags.security)
def secrets_encryption_keys_are_valid(app_configs, **kwargs):
    """At start-up rather than when the first secret is read or written."""
    from .secrets import encryption_keys_problem

    problem = encryption_keys_problem()
    if problem:
        return [
            Error(
                problem,
                hint="Generate one with: python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'",
                id="projects.E003",
            )
        ]
    return []
