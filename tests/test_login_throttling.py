"""Wrong passwords on /login/ and /admin/login/ lock out that user name from that address
for a while; nobody can lock an operator out from elsewhere (django-axes)."""

import pytest
from axes.models import AccessAttempt
from django.core.management import call_command
from django.test import Client

from projects.models import Role

from .factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def operator_user(demo_project):
    user = MembershipFactory(project=demo_project, user=UserFactory(username="olga"), role=Role.OPERATOR).user
    user.set_password("right-password")
    user.save()
    return user


def log_in(client, password, username="olga", url="/login/"):
    return client.post(url, {"username": username, "password": password})


def logged_in(client) -> bool:
    return "_auth_user_id" in client.session


def fail(client, times, username="olga", url="/login/"):
    for _ in range(times):
        assert log_in(client, "wrong", username, url).status_code in (200, 429)


def test_the_right_password_after_too_many_wrong_ones_is_refused(operator_user, settings):
    client = Client(REMOTE_ADDR="203.0.113.7")
    fail(client, settings.AXES_FAILURE_LIMIT)
    response = log_in(client, "right-password")
    assert response.status_code == 429
    assert "Too many failed logins" in response.content.decode()
    assert not logged_in(client)


def test_fewer_wrong_passwords_than_the_limit_still_let_the_right_one_in(operator_user, settings):
    client = Client(REMOTE_ADDR="203.0.113.7")
    fail(client, settings.AXES_FAILURE_LIMIT - 1)
    assert log_in(client, "right-password").status_code == 302
    assert logged_in(client)


def test_a_lockout_from_one_address_does_not_lock_the_user_out_elsewhere(operator_user, settings):
    fail(Client(REMOTE_ADDR="198.51.100.66"), settings.AXES_FAILURE_LIMIT + 3)
    client = Client(REMOTE_ADDR="203.0.113.7")
    assert log_in(client, "right-password").status_code == 302


def test_a_lockout_of_one_user_does_not_lock_others_out_of_the_same_address(operator_user, demo_project, settings):
    other = UserFactory(username="oscar")
    other.set_password("his-password")
    other.save()
    client = Client(REMOTE_ADDR="203.0.113.7")
    fail(client, settings.AXES_FAILURE_LIMIT)
    assert log_in(client, "his-password", username="oscar").status_code == 302


def test_the_admin_login_is_throttled_too(admin_user, settings):
    admin_user.set_password("admin-password")
    admin_user.save()
    client = Client(REMOTE_ADDR="203.0.113.7")
    fail(client, settings.AXES_FAILURE_LIMIT, username=admin_user.username, url="/admin/login/")
    response = log_in(client, "admin-password", username=admin_user.username, url="/admin/login/")
    assert response.status_code == 429
    assert not logged_in(client)


def test_a_forwarded_for_header_is_ignored_unless_a_proxy_is_trusted(operator_user, settings):
    client = Client(REMOTE_ADDR="203.0.113.7")
    for number in range(settings.AXES_FAILURE_LIMIT):
        client.post("/login/", {"username": "olga", "password": "wrong"}, HTTP_X_FORWARDED_FOR=f"192.0.2.{number}")
    response = client.post("/login/", {"username": "olga", "password": "right-password"}, HTTP_X_FORWARDED_FOR="192.0.2.200")
    assert response.status_code == 429


def test_behind_a_trusted_proxy_the_address_it_forwarded_is_the_clients(operator_user, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    proxy = Client(REMOTE_ADDR="10.0.0.2")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        # A client behind the proxy, pretending in its own header to be someone else.
        proxy.post("/login/", {"username": "olga", "password": "wrong"}, HTTP_X_FORWARDED_FOR="192.0.2.9, 198.51.100.66")
    locked = proxy.post("/login/", {"username": "olga", "password": "right-password"}, HTTP_X_FORWARDED_FOR="198.51.100.66")
    assert locked.status_code == 429
    elsewhere = proxy.post("/login/", {"username": "olga", "password": "right-password"}, HTTP_X_FORWARDED_FOR="203.0.113.7")
    assert elsewhere.status_code == 302


def test_failed_attempts_are_recorded_with_user_and_address(operator_user):
    log_in(Client(REMOTE_ADDR="203.0.113.7"), "wrong")
    attempt = AccessAttempt.objects.get()
    assert (attempt.username, attempt.ip_address, attempt.failures_since_start) == ("olga", "203.0.113.7", 1)


def test_an_administrator_unlocks_a_user_with_the_reset_command(operator_user, settings):
    client = Client(REMOTE_ADDR="203.0.113.7")
    fail(client, settings.AXES_FAILURE_LIMIT)
    call_command("axes_reset_username", "olga")
    assert log_in(client, "right-password").status_code == 302


def test_failed_logins_stay_on_record_after_an_unlock_and_a_right_password(operator_user, settings):
    from axes.models import AccessFailureLog

    client = Client(REMOTE_ADDR="203.0.113.7")
    fail(client, settings.AXES_FAILURE_LIMIT)
    call_command("axes_reset_username", "olga")
    assert log_in(client, "right-password").status_code == 302
    failures = AccessFailureLog.objects.filter(username="olga", ip_address="203.0.113.7")
    assert failures.count() == settings.AXES_FAILURE_LIMIT
