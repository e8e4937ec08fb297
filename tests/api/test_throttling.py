"""Rate limits per API key: a sustained rate per minute and a burst per second, counted with
atomic cache operations (workflows/api/throttling.py). The limits are made small here; the
clock is fixed so that each request lands in a chosen second and minute."""

import multiprocessing
import os
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
import redis
from django.core.cache import caches
from django.core.exceptions import ImproperlyConfigured
from django.urls import reverse

from projects import checks
from projects.models import ApiKey
from projects.services import api_key_create
from workflows.api.throttling import ApiKeyRateThrottle, Limits, default_limits, parse_rate

from .conftest import ApiClient

LIST_URL = "/api/v1/external/workflows"
MINUTE = 1_800_000_000  # the start of a minute (a multiple of 60 seconds since the epoch)
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/13")


class Clock:
    """The throttle's timer, moved by hand."""

    def __init__(self, now):
        self.now = now

    def __call__(self):
        return self.now

    def tick(self, seconds):
        self.now += seconds


@pytest.fixture
def clock(monkeypatch):
    clock = Clock(MINUTE + 0.25)
    monkeypatch.setattr(ApiKeyRateThrottle, "timer", clock)
    return clock


@pytest.fixture
def limits(settings):
    """5 requests a minute, 3 in one second."""
    settings.API_THROTTLE_RATE = "5/min"
    settings.API_THROTTLE_BURST = 3


@pytest.fixture
def partner(demo_project):
    """An API key of the demo project and a client using it."""
    api_key, raw_key = api_key_create(project=demo_project, name="Partner")
    return api_key, ApiClient(raw_key)


def statuses(client, n):
    return [client.get(LIST_URL).status_code for _ in range(n)]


def one_request_a_second(client, clock, n):
    codes = []
    for _ in range(n):
        codes.append(client.get(LIST_URL).status_code)
        clock.tick(1)
    return codes


# --- the defaults -------------------------------------------------------------------------------


def test_the_default_limits_are_600_requests_a_second_sustained_and_a_burst_of_1200():
    assert default_limits() == Limits(rate=36000, window=60, burst=1200)


@pytest.mark.parametrize(
    ("rate", "parsed"),
    [
        ("1200/min", (1200, 60)),
        ("1200/m", (1200, 60)),
        ("20/s", (1200, 60)),
        ("20/second", (1200, 60)),
        ("7200/hour", (7200, 3600)),
        ("100000/day", (100000, 86400)),
    ],
)
def test_the_rate_is_read_in_drfs_format_and_counted_per_minute_at_least(rate, parsed):
    assert parse_rate(rate) == parsed


@pytest.mark.parametrize("rate", ["", "1200", "1200/week", "many/min", "0/min", "-5/min", "1/2/min"])
def test_a_malformed_rate_is_refused(rate):
    with pytest.raises(ImproperlyConfigured):
        parse_rate(rate)


# --- the burst ----------------------------------------------------------------------------------


def test_a_burst_at_the_limit_gets_no_429(api, limits, clock):
    assert statuses(api, 3) == [200, 200, 200]


def test_a_burst_one_over_the_limit_gets_exactly_one_429(api, limits, clock):
    assert statuses(api, 4) == [200, 200, 200, 429]


def test_the_429_has_the_error_shape_and_retry_after_one_second(api, limits, clock):
    statuses(api, 3)
    response = api.get(LIST_URL)
    body = response.json()
    assert response.status_code == 429
    assert body["statusCode"] == 429 and body["errors"] == []
    assert "throttled" in body["message"]
    assert response["Retry-After"] == "1"


def test_the_next_second_allows_another_burst(api, limits, clock):
    statuses(api, 4)
    clock.tick(1)
    assert statuses(api, 2) == [200, 200]


def test_requests_refused_for_the_burst_do_not_use_up_the_minute(api, limits, clock):
    assert statuses(api, 10) == [200] * 3 + [429] * 7
    clock.tick(1)
    assert statuses(api, 3) == [200, 200, 429]  # 5 a minute: 3 + 2


# --- the sustained rate -------------------------------------------------------------------------


def test_the_sustained_rate_at_the_limit_gets_no_429(api, limits, clock):
    assert one_request_a_second(api, clock, 5) == [200] * 5


def test_one_request_over_the_sustained_rate_in_a_minute_gets_a_429(api, limits, clock):
    assert one_request_a_second(api, clock, 6) == [200] * 5 + [429]


def test_retry_after_for_the_sustained_rate_is_the_rest_of_the_minute(api, limits, clock):
    one_request_a_second(api, clock, 5)
    clock.now = MINUTE + 40.5
    response = api.get(LIST_URL)
    assert response.status_code == 429
    assert response["Retry-After"] == "20"
    assert response.json()["statusCode"] == 429


def test_the_next_minute_allows_the_sustained_rate_again(api, limits, clock):
    one_request_a_second(api, clock, 6)
    clock.now = MINUTE + 60
    assert one_request_a_second(api, clock, 5) == [200] * 5


# --- per key, and each key's own limits ---------------------------------------------------------


def test_limits_are_counted_per_key(api, other_api, limits, clock):
    statuses(api, 4)
    assert statuses(other_api, 3) == [200, 200, 200]


def test_a_lower_burst_set_in_the_admin_refuses_that_key_sooner(admin_client, partner, api, limits, clock):
    api_key, client = partner
    response = change_limits(admin_client, api_key, burst="1")
    assert response.status_code == 302
    assert statuses(client, 2) == [200, 429]
    assert statuses(api, 3) == [200, 200, 200]  # other keys keep the defaults


def test_a_higher_rate_and_burst_set_in_the_admin_let_that_key_send_more(admin_client, partner, limits, clock):
    api_key, client = partner
    change_limits(admin_client, api_key, rate="8", burst="6")
    assert statuses(client, 7) == [200] * 6 + [429]
    clock.tick(1)
    assert statuses(client, 3) == [200, 200, 429]  # 8 a minute


def test_a_key_added_in_the_admin_keeps_the_limits_given_there(admin_client, demo_project):
    response = admin_client.post(
        reverse("admin:projects_apikey_add"),
        {**key_form("Partner"), "project": str(demo_project.pk), "throttle_rate_per_minute": "90", "throttle_burst": "4"},
    )
    assert response.status_code == 302
    api_key = ApiKey.objects.get(name="Partner")
    assert (api_key.throttle_rate_per_minute, api_key.throttle_burst) == (90, 4)


def test_clearing_the_limits_in_the_admin_restores_the_defaults(admin_client, partner, limits, clock):
    api_key, client = partner
    change_limits(admin_client, api_key, burst="1")
    change_limits(admin_client, api_key)
    assert statuses(client, 4) == [200, 200, 200, 429]


@pytest.mark.parametrize("field", ["throttle_rate_per_minute", "throttle_burst"])
@pytest.mark.parametrize("value", ["0", "-1", "many"])
def test_the_admin_refuses_a_limit_that_is_not_a_positive_number(admin_client, partner, field, value):
    api_key, _ = partner
    response = admin_client.post(change_url(api_key), {**key_form(api_key.name), field: value})
    assert response.status_code == 200
    assert response.context["adminform"].form.errors[field]
    api_key.refresh_from_db()
    assert getattr(api_key, field) is None


def test_the_admin_refuses_a_burst_below_the_sustained_rate_per_second(admin_client, partner):
    api_key, _ = partner
    response = change_limits(admin_client, api_key, rate="6000", burst="50")  # 100 a second
    assert response.status_code == 200
    assert "raise the burst or lower the rate" in str(response.context["adminform"].form.non_field_errors())
    api_key.refresh_from_db()
    assert api_key.throttle_burst is None


def test_the_throttle_reads_a_keys_limits_without_a_query(partner, limits, clock, django_assert_num_queries):
    api_key, _ = partner
    api_key.throttle_burst = 1
    throttle = ApiKeyRateThrottle()
    with django_assert_num_queries(0):
        assert [throttle.allow(api_key), throttle.allow(api_key)] == [True, False]


def key_form(name):
    return {"name": name, "expires_at_0": "", "expires_at_1": "", "throttle_rate_per_minute": "", "throttle_burst": ""}


def change_url(api_key):
    return reverse("admin:projects_apikey_change", args=[api_key.pk])


def change_limits(admin_client, api_key, rate="", burst=""):
    form = {**key_form(api_key.name), "throttle_rate_per_minute": rate, "throttle_burst": burst}
    return admin_client.post(change_url(api_key), form)


# --- a shared cache: Redis, several connections and processes -----------------------------------


@pytest.fixture
def redis_cache(settings):
    """Two cache aliases on one real Redis (as two processes would have), under a key prefix of
    this test's own. Nothing is cleared with `cache.clear()`: that would empty the database."""
    prefix = f"test-throttle-{uuid.uuid4().hex}"
    config = {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL, "KEY_PREFIX": prefix}
    settings.CACHES = {"default": config, "other": dict(config)}
    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.ping()
    except redis.RedisError as error:
        pytest.fail(f"These tests need Redis at {REDIS_URL} (TEST_REDIS_URL): {error}")
    yield client, prefix
    for name in client.scan_iter(match=f"{prefix}:*"):
        client.delete(name)


def an_api_key(**limits):
    """An API key as authentication hands it to the throttle (the counters use only its id)."""
    return ApiKey(pk=uuid.uuid4().int % 2**62, **limits)


def fixed_throttle(alias="default", now=MINUTE + 0.5):
    throttle = ApiKeyRateThrottle()
    throttle.cache_alias = alias
    throttle.timer = lambda: now
    return throttle


def test_two_throttles_on_separate_redis_connections_share_one_count(redis_cache, limits):
    api_key = an_api_key()
    first, second = fixed_throttle("default"), fixed_throttle("other")
    assert caches["default"] is not caches["other"]
    allowed = [first.allow(api_key), second.allow(api_key), first.allow(api_key), second.allow(api_key)]
    assert allowed == [True, True, True, False]
    assert second.wait() == 1


def test_redis_holds_one_integer_per_key_and_window_with_an_expiry(redis_cache, limits):
    client, prefix = redis_cache
    api_key = an_api_key()
    throttle = fixed_throttle()
    for _ in range(4):
        throttle.allow(api_key)
    counters = {name.decode(): client.get(name) for name in client.scan_iter(match=f"{prefix}:*")}
    assert sorted(counters.values()) == [b"3", b"4"]  # the minute, the second
    assert all(0 < client.ttl(name) <= 65 for name in counters)


def test_threads_hitting_one_key_at_once_on_redis_let_exactly_the_burst_through(redis_cache, settings):
    settings.API_THROTTLE_RATE = "100000/min"
    settings.API_THROTTLE_BURST = 50
    api_key = an_api_key()
    start = threading.Barrier(16)

    def hit():  # each thread has its own Django cache connection
        throttle = fixed_throttle()
        start.wait()
        return sum(throttle.allow(api_key) for _ in range(10))

    with ThreadPoolExecutor(16) as pool:
        allowed = [future.result() for future in [pool.submit(hit) for _ in range(16)]]
    assert sum(allowed) == 50


def allowed_in_a_process(pk, attempts, start, results):
    throttle = fixed_throttle()
    api_key = ApiKey(pk=pk)
    start.wait()
    results.put(sum(throttle.allow(api_key) for _ in range(attempts)))


def test_processes_sharing_redis_let_exactly_the_sustained_rate_through(redis_cache, settings):
    settings.API_THROTTLE_RATE = "100/min"
    settings.API_THROTTLE_BURST = 100000
    pk = an_api_key().pk
    context = multiprocessing.get_context("fork")  # each child opens its own Redis connection
    start, results = context.Barrier(4), context.Queue()
    processes = [context.Process(target=allowed_in_a_process, args=(pk, 60, start, results)) for _ in range(4)]
    for process in processes:
        process.start()
    allowed = [results.get(timeout=60) for _ in processes]
    for process in processes:
        process.join(timeout=60)
    assert sum(allowed) == 100


# --- the system checks --------------------------------------------------------------------------


def test_the_check_refuses_a_malformed_rate(settings):
    settings.API_THROTTLE_RATE = "fast"
    assert [e.id for e in checks.api_throttle_settings_are_valid(None)] == ["projects.E002"]


def test_the_check_refuses_a_burst_below_one(settings):
    settings.API_THROTTLE_BURST = 0
    assert [e.id for e in checks.api_throttle_settings_are_valid(None)] == ["projects.E002"]


def test_the_check_warns_when_the_burst_cannot_carry_the_sustained_rate(settings):
    settings.API_THROTTLE_RATE = "100/s"
    settings.API_THROTTLE_BURST = 50
    assert [e.id for e in checks.api_throttle_settings_are_valid(None)] == ["projects.W003"]


def test_the_check_accepts_the_defaults():
    assert checks.api_throttle_settings_are_valid(None) == []


def test_the_deploy_check_warns_about_a_cache_that_cannot_count_atomically(settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "cache"}}
    assert [w.id for w in checks.cache_counts_atomically(None)] == ["projects.W002"]
