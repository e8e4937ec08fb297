import hashlib
from datetime import timedelta

import pytest
from django.utils import timezone

from projects.models import API_KEY_LOOKUP_LENGTH, API_KEY_PREFIX, ApiKey
from projects.selectors import api_key_authenticate
from projects.services import api_key_create, api_key_record_use, api_key_revoke


def stored_values(api_key: ApiKey) -> list[str]:
    """Every column of the key's row as stored in the database, as text."""
    row = ApiKey.objects.filter(pk=api_key.pk).values(
        *[f.attname for f in ApiKey._meta.concrete_fields]
    ).get()
    return [str(value) for value in row.values() if value is not None]


def split_key(raw_key: str) -> tuple[str, str]:
    """`cw_<12-character lookup>_<secret>` as (`cw_<lookup>_`, secret); the secret may hold `_`."""
    prefix_length = len(API_KEY_PREFIX) + API_KEY_LOOKUP_LENGTH + 1
    return raw_key[:prefix_length], raw_key[prefix_length:]


def test_created_key_is_returned_raw_once_and_stored_only_as_its_hash(project):
    api_key, raw_key = api_key_create(project=project, name="Partner")
    api_key.refresh_from_db()
    assert api_key.key_hash == hashlib.sha256(raw_key.encode()).hexdigest()
    for value in stored_values(api_key):
        assert raw_key not in value
        assert split_key(raw_key)[1] not in value


def test_two_created_keys_differ(project):
    _, first = api_key_create(project=project, name="one")
    _, second = api_key_create(project=project, name="two")
    assert first != second
    assert ApiKey.objects.values("lookup").distinct().count() == 2


def test_raw_key_authenticates_as_its_project(project, other_project):
    api_key, raw_key = api_key_create(project=project, name="Partner")
    api_key_create(project=other_project, name="Other partner")
    found = api_key_authenticate(raw_key)
    assert found == api_key
    assert found.project == project


def test_authenticating_takes_one_query(project, django_assert_num_queries):
    _, raw_key = api_key_create(project=project, name="Partner")
    with django_assert_num_queries(1):
        found = api_key_authenticate(raw_key)
        assert found.project.slug == "acme"  # the project comes with the key


def test_unknown_key_does_not_authenticate(project):
    api_key_create(project=project, name="Partner")
    assert api_key_authenticate("cw_0123456789ab_" + "A" * 43) is None


@pytest.mark.parametrize(
    "raw_key",
    [
        pytest.param(None, id="none"),
        pytest.param("", id="empty"),
        pytest.param(" ", id="blank"),
        pytest.param("cw_", id="prefix-only"),
        pytest.param("cw_nope", id="too-short"),
        pytest.param("cw_0123456789ab", id="no-secret"),
        pytest.param("cw_0123456789ab_", id="empty-secret"),
        pytest.param("cw_0123456789abX" + "A" * 43, id="no-separator"),
        pytest.param("xx_0123456789ab_" + "A" * 43, id="wrong-prefix"),
        pytest.param("Bearer cw_0123456789ab_" + "A" * 43, id="with-scheme"),
        pytest.param("cw_0123456789a\x00_" + "A" * 43, id="nul-byte-in-lookup"),
        pytest.param("cw_ÿÿÿÿÿÿÿÿÿÿÿÿ_" + "A" * 43, id="non-ascii-lookup"),
    ],
)
def test_malformed_key_does_not_authenticate(project, raw_key):
    api_key_create(project=project, name="Partner")
    assert api_key_authenticate(raw_key) is None


def test_key_whose_secret_part_is_altered_does_not_authenticate(project):
    _, raw_key = api_key_create(project=project, name="Partner")
    last = raw_key[-1]
    altered = raw_key[:-1] + ("A" if last != "A" else "B")
    assert api_key_authenticate(altered) is None
    assert api_key_authenticate(raw_key[:-1]) is None
    assert api_key_authenticate(raw_key + "A") is None


def test_lookup_part_of_one_key_with_the_secret_of_another_does_not_authenticate(project):
    _, first = api_key_create(project=project, name="one")
    _, second = api_key_create(project=project, name="two")
    mixed = split_key(first)[0] + split_key(second)[1]
    assert api_key_authenticate(mixed) is None


def test_revoked_key_does_not_authenticate(project):
    api_key, raw_key = api_key_create(project=project, name="Partner")
    api_key_revoke(api_key=api_key)
    assert api_key_authenticate(raw_key) is None
    assert ApiKey.objects.get(pk=api_key.pk).revoked_at is not None


def test_revoking_twice_keeps_the_first_revocation_time_and_says_so(project):
    api_key, _ = api_key_create(project=project, name="Partner")
    assert api_key_revoke(api_key=api_key) is True
    first = api_key.revoked_at
    assert api_key_revoke(api_key=ApiKey.objects.get(pk=api_key.pk)) is False
    assert ApiKey.objects.get(pk=api_key.pk).revoked_at == first


def test_a_key_cannot_be_created_already_expired(project):
    from datetime import timedelta

    from django.utils import timezone

    with pytest.raises(ValueError, match="must be in the future"):
        api_key_create(project=project, name="late", expires_at=timezone.now() - timedelta(minutes=1))
    assert not ApiKey.objects.exists()


def test_revoking_one_key_leaves_the_others_working(project):
    revoked, _ = api_key_create(project=project, name="old")
    _, kept = api_key_create(project=project, name="new")
    api_key_revoke(api_key=revoked)
    assert api_key_authenticate(kept) is not None


def test_expired_key_does_not_authenticate(project):
    api_key, raw_key = api_key_create(project=project, name="Partner", expires_at=timezone.now() + timedelta(days=1))
    ApiKey.objects.filter(pk=api_key.pk).update(expires_at=timezone.now() - timedelta(seconds=1))  # a day later
    assert api_key_authenticate(raw_key) is None


def test_key_before_its_expiry_authenticates(project):
    api_key, raw_key = api_key_create(
        project=project, name="Partner", expires_at=timezone.now() + timedelta(days=1)
    )
    assert api_key_authenticate(raw_key) == api_key


def test_first_use_is_recorded_with_one_write(project, django_assert_num_queries):
    api_key, raw_key = api_key_create(project=project, name="Partner")
    found = api_key_authenticate(raw_key)
    with django_assert_num_queries(1):
        assert api_key_record_use(api_key=found) is True
    assert ApiKey.objects.get(pk=api_key.pk).last_used_at is not None


def test_uses_within_the_resolution_window_write_nothing(project, settings, django_assert_num_queries):
    settings.API_KEY_LAST_USED_RESOLUTION_SECONDS = 60
    api_key, raw_key = api_key_create(project=project, name="Partner")
    start = timezone.now()
    api_key_record_use(api_key=api_key_authenticate(raw_key), now=start)
    for seconds in (1, 30, 59):
        found = api_key_authenticate(raw_key)  # as each request does: a fresh row
        with django_assert_num_queries(0):
            assert api_key_record_use(api_key=found, now=start + timedelta(seconds=seconds)) is False
    assert ApiKey.objects.get(pk=api_key.pk).last_used_at == start


def test_use_after_the_resolution_window_is_recorded_again(project, settings, django_assert_num_queries):
    settings.API_KEY_LAST_USED_RESOLUTION_SECONDS = 60
    api_key, raw_key = api_key_create(project=project, name="Partner")
    start = timezone.now()
    api_key_record_use(api_key=api_key_authenticate(raw_key), now=start)
    later = start + timedelta(seconds=60)
    found = api_key_authenticate(raw_key)
    with django_assert_num_queries(1):
        assert api_key_record_use(api_key=found, now=later) is True
    assert ApiKey.objects.get(pk=api_key.pk).last_used_at == later


def test_recording_use_touches_only_that_key(project):
    used, _ = api_key_create(project=project, name="used")
    unused, _ = api_key_create(project=project, name="unused")
    api_key_record_use(api_key=used)
    assert ApiKey.objects.get(pk=unused.pk).last_used_at is None

