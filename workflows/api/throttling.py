"""Rate limits per API key: a sustained rate and a burst (README, "Sizing the rate limits").

Each key has two fixed windows, counted in the default cache with atomic operations only
(`cache.incr`, and `cache.add` to open a window), so every process sharing the cache (Redis,
Memcached) shares the counts, and no list of request times is read or rewritten:

- the burst: at most `burst` requests in each clock second;
- the sustained rate: at most `rate` requests in each window of `window` seconds (a minute for
  rates given per second or per minute, an hour or a day for `N/hour` and `N/day`).

A request refused for the burst does not count against the sustained window, so a client
retrying too fast does not spend its minute. With fixed windows a client may send up to a
limit at the end of one window and again at the start of the next.
"""

import math
import time
from dataclasses import dataclass
from functools import lru_cache

from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from django.core.exceptions import ImproperlyConfigured
from rest_framework.throttling import BaseThrottle

# DRF's rate format, `<requests>/<period>`: the period's first letter decides, as in DRF.
PERIOD_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
SUSTAINED_WINDOW_MIN_SECONDS = 60
# A window's counter outlives the window by this much, so a request that read the clock just
# before the window ended still finds the counter (and never recreates it without an expiry).
COUNTER_GRACE_SECONDS = 5


@dataclass(frozen=True)
class Limits:
    rate: int  # requests per sustained window
    window: int  # seconds
    burst: int  # requests per clock second

    @property
    def per_second(self) -> float:
        return self.rate / self.window


@lru_cache(maxsize=16)
def parse_rate(rate: str) -> tuple[int, int]:
    """`"36000/min"` -> (36000, 60): requests per sustained window, and the window in seconds.

    `N/s` is counted per minute (N * 60 a minute), so that the burst, not the sustained rate,
    limits a single second."""
    try:
        number, period = str(rate).strip().split("/")
        requests, seconds = int(number), PERIOD_SECONDS[period.strip()[0].lower()]
    except (ValueError, KeyError, IndexError):
        raise ImproperlyConfigured(
            f"API_THROTTLE_RATE {rate!r} is not '<requests>/<s|min|hour|day>', e.g. '36000/min'."
        ) from None
    if requests < 1:
        raise ImproperlyConfigured(f"API_THROTTLE_RATE {rate!r} must allow at least one request.")
    if seconds < SUSTAINED_WINDOW_MIN_SECONDS:
        requests, seconds = requests * SUSTAINED_WINDOW_MIN_SECONDS // seconds, SUSTAINED_WINDOW_MIN_SECONDS
    return requests, seconds


def default_limits() -> Limits:
    rate, window = parse_rate(settings.API_THROTTLE_RATE)
    burst = int(settings.API_THROTTLE_BURST)
    if burst < 1:
        raise ImproperlyConfigured(f"API_THROTTLE_BURST {burst} must be at least 1.")
    return Limits(rate=rate, window=window, burst=burst)


def limits_for(api_key) -> Limits:
    """The key's limits: its own overrides (set in the admin) where given, else the defaults.
    Reads only fields of the key row authentication already loaded: no query."""
    limits = default_limits()
    rate_per_minute = getattr(api_key, "throttle_rate_per_minute", None)
    burst = getattr(api_key, "throttle_burst", None)
    return Limits(
        rate=rate_per_minute or limits.rate,
        window=60 if rate_per_minute else limits.window,
        burst=burst or limits.burst,
    )


def count_request(cache, key: str, timeout: int) -> int:
    """Add one to the counter `key` and return its new value.

    `incr` is atomic in Redis, Memcached and LocMemCache (the deploy check warns about caches
    where it is not); `add` opens a window only if no other process opened it first."""
    try:
        value = cache.incr(key)
    except ValueError:  # no counter yet: this request opens the window
        if cache.add(key, 1, timeout):
            return 1
        try:
            value = cache.incr(key)  # another process opened it in between
        except ValueError:
            return 1  # opened and already evicted: count this request alone
    if value == 1:
        # Redis' incr checks that the key exists, then increments: a key expiring in between
        # comes back without an expiry. Give it one (this cannot happen to a live window).
        cache.touch(key, timeout)
    return value


# Both counters of a request in one Redis round trip, as count_request() counts them: the
# burst first, the sustained window only if the burst allows the request. Atomic (a script),
# and a new counter gets its expiry in the same step. Returns {burst count, sustained count
# or -1}.
REDIS_COUNT_SCRIPT = """
local burst = redis.call('INCR', KEYS[1])
if burst == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
if burst > tonumber(ARGV[3]) then return {burst, -1} end
local sustained = redis.call('INCR', KEYS[2])
if sustained == 1 then redis.call('EXPIRE', KEYS[2], ARGV[2]) end
return {burst, sustained}
"""


_redis_count_script = None


def count_request_redis(cache: RedisCache, burst_key, burst_timeout, sustained_key, sustained_timeout, burst_limit):
    """(burst count, sustained count or None when the burst refused the request)."""
    global _redis_count_script
    # Django writes every counter to its first server. Its get_client() builds a new client
    # object (on a shared connection pool) at each call, which costs more than the round trip:
    # one is kept per cache object (Django's caches are per thread; the client is thread-safe).
    client = getattr(cache, "_casework_redis_client", None)
    if client is None:
        client = cache._casework_redis_client = cache._cache.get_client(write=True)
    if _redis_count_script is None:
        _redis_count_script = client.register_script(REDIS_COUNT_SCRIPT)  # EVALSHA, loaded when missing
    burst, sustained = _redis_count_script(
        keys=[cache.make_and_validate_key(burst_key), cache.make_and_validate_key(sustained_key)],
        args=[burst_timeout, sustained_timeout, burst_limit],
        client=client,
    )
    return int(burst), (None if int(sustained) < 0 else int(sustained))


class ApiKeyRateThrottle(BaseThrottle):
    """Sustained rate and burst per API key; 429 with `Retry-After` over either."""

    cache_alias = "default"
    timer = time.time  # tests replace it to place requests in chosen windows
    key_format = "throttle:api_key:{pk}:{window}:{index}"

    def __init__(self):
        self.retry_after = None

    def allow_request(self, request, view):
        api_key = getattr(request, "auth", None)
        if api_key is None:
            return True
        return self.allow(api_key)

    def allow(self, api_key) -> bool:
        """Count one request of `api_key`; False when it is over a limit (see `wait`)."""
        self.retry_after = None
        limits = limits_for(api_key)
        cache = caches[self.cache_alias]
        now = self.timer()
        second = int(now)
        burst_key = self.key_format.format(pk=api_key.pk, window=1, index=second)
        index = int(now // limits.window)
        sustained_key = self.key_format.format(pk=api_key.pk, window=limits.window, index=index)
        if isinstance(cache, RedisCache):
            burst, sustained = count_request_redis(
                cache, burst_key, 1 + COUNTER_GRACE_SECONDS, sustained_key, limits.window + COUNTER_GRACE_SECONDS, limits.burst
            )
            if sustained is None:
                self.retry_after = 1
                return False
            if sustained > limits.rate:
                self.retry_after = max(1, math.ceil((index + 1) * limits.window - now))
                return False
            return True
        if count_request(cache, burst_key, 1 + COUNTER_GRACE_SECONDS) > limits.burst:
            self.retry_after = 1  # the next second
            return False
        if count_request(cache, sustained_key, limits.window + COUNTER_GRACE_SECONDS) > limits.rate:
            self.retry_after = max(1, math.ceil((index + 1) * limits.window - now))
            return False
        return True

    def wait(self):
        """Whole seconds until the refused request's window ends (DRF sends it as Retry-After)."""
        return self.retry_after
