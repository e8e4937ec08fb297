"""API keys in the admin: a status column, Revoke on the key's own page, no deleting a key
that was used, no creating one already expired."""

from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from projects.models import ApiKey
from projects.selectors import api_key_authenticate
from projects.services import api_key_create, api_key_record_use, api_key_revoke

pytestmark = pytest.mark.django_db


def messages_of(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_the_key_list_shows_each_keys_status(admin_client, project):
    api_key_create(project=project, name="live-key")
    api_key_revoke(api_key=api_key_create(project=project, name="gone-key")[0])
    expired, _ = api_key_create(project=project, name="old-key", expires_at=timezone.now() + timedelta(seconds=1))
    ApiKey.objects.filter(pk=expired.pk).update(expires_at=timezone.now() - timedelta(days=1))
    page = admin_client.get(reverse("admin:projects_apikey_changelist")).content.decode()
    rows = {name: page[page.index(name) : page.index(name) + 600] for name in ("live-key", "gone-key", "old-key")}
    assert "Active" in rows["live-key"] and "Revoked" in rows["gone-key"] and "Expired" in rows["old-key"]


def test_revoke_on_the_keys_own_page_stops_it_from_authenticating(admin_client, project):
    api_key, raw_key = api_key_create(project=project, name="Partner")
    change_url = reverse("admin:projects_apikey_change", args=[api_key.pk])
    assert "Revoke this key" in admin_client.get(change_url).content.decode()
    response = admin_client.post(reverse("admin:projects_apikey_revoke", args=[api_key.pk]), follow=True)
    assert response.redirect_chain[-1][0] == change_url
    assert any("revoked: it no longer authenticates" in m for m in messages_of(response))
    assert api_key_authenticate(raw_key) is None


def test_revoking_a_revoked_key_says_it_already_was_and_keeps_the_time(admin_client, project):
    api_key, _ = api_key_create(project=project, name="Partner")
    api_key_revoke(api_key=api_key)
    first = ApiKey.objects.get().revoked_at
    response = admin_client.post(reverse("admin:projects_apikey_revoke", args=[api_key.pk]), follow=True)
    assert any("was already revoked" in m for m in messages_of(response))
    assert ApiKey.objects.get().revoked_at == first


def test_the_revoke_action_says_which_keys_were_already_revoked(admin_client, project):
    fresh, _ = api_key_create(project=project, name="fresh")
    old, _ = api_key_create(project=project, name="old")
    api_key_revoke(api_key=old)
    response = admin_client.post(
        reverse("admin:projects_apikey_changelist"),
        {"action": "revoke_selected", "_selected_action": [str(fresh.pk), str(old.pk)]},
        follow=True,
    )
    assert messages_of(response) == ["Revoked 1 key(s).", "1 key(s) were already revoked and are unchanged."]


def test_a_key_that_was_used_cannot_be_deleted_in_the_admin(admin_client, project):
    api_key, _ = api_key_create(project=project, name="Partner")
    api_key_record_use(api_key=api_key)
    response = admin_client.post(reverse("admin:projects_apikey_delete", args=[api_key.pk]), {"post": "yes"})
    assert response.status_code == 403
    assert ApiKey.objects.filter(pk=api_key.pk).exists()
    page = admin_client.get(reverse("admin:projects_apikey_change", args=[api_key.pk])).content.decode()
    assert "cannot be deleted: revoke it instead" in page


def test_a_key_never_used_can_still_be_deleted(admin_client, project):
    api_key, _ = api_key_create(project=project, name="typo")
    admin_client.post(reverse("admin:projects_apikey_delete", args=[api_key.pk]), {"post": "yes"})
    assert not ApiKey.objects.exists()


def test_the_admin_refuses_to_create_a_key_that_has_already_expired(admin_client, project):
    yesterday = timezone.localtime() - timedelta(days=1)
    response = admin_client.post(
        reverse("admin:projects_apikey_add"),
        {"project": str(project.pk), "name": "late", "expires_at_0": yesterday.strftime("%Y-%m-%d"), "expires_at_1": yesterday.strftime("%H:%M:%S")},
    )
    assert response.status_code == 200
    assert "must be in the future" in response.content.decode()
    assert not ApiKey.objects.exists()
