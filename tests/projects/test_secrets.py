"""Project secrets: encrypted at rest, names checked, readable with old keys after rotation,
and a clear error (not a Fernet traceback) when no configured key opens one."""

import io

import pytest
from cryptography.fernet import Fernet, InvalidToken
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test import override_settings

from projects.checks import secrets_encryption_keys_are_valid
from projects.models import ProjectSecret
from projects.secrets import SecretUnreadable, derived_key
from projects.selectors import project_hook_secret, project_secret_names, project_secrets
from projects.services import project_hook_secret_rotate, project_secret_delete, project_secret_set, secrets_reencrypt
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

KEY_1 = Fernet.generate_key().decode()
KEY_2 = Fernet.generate_key().decode()
VALUE = "sk_live_51HqP2eVeryPrivateToken"


def stored_ciphertext(project, name):
    # Straight from the table: what a database dump would hold.
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT ciphertext FROM {ProjectSecret._meta.db_table} WHERE project_id = %s AND name = %s", [project.pk, name]
        )
        return cursor.fetchone()[0]


def test_a_secret_reads_back_as_it_was_set(project):
    project_secret_set(project=project, name="VENDOR_TOKEN", value=VALUE)
    project_secret_set(project=project, name="other_key", value="  spaces kept \n")
    assert project_secrets(project) == {"VENDOR_TOKEN": VALUE, "other_key": "  spaces kept \n"}
    assert project_secret_names(project) == ["VENDOR_TOKEN", "other_key"]


def test_the_database_holds_only_an_encryption_of_the_value(project, settings):
    project_secret_set(project=project, name="VENDOR_TOKEN", value=VALUE)
    ciphertext = stored_ciphertext(project, "VENDOR_TOKEN")
    assert VALUE not in ciphertext and "VeryPrivate" not in ciphertext
    # Without SECRETS_ENCRYPTION_KEYS, the key derived from SECRET_KEY.
    assert Fernet(derived_key(settings.SECRET_KEY)).decrypt(ciphertext.encode()).decode() == VALUE


def test_setting_again_replaces_the_value_and_records_who(project):
    alice = UserFactory(username="alice")
    first = project_secret_set(project=project, name="VENDOR_TOKEN", value="one")
    second = project_secret_set(project=project, name="VENDOR_TOKEN", value="two", actor_user=alice)
    assert second.pk == first.pk and ProjectSecret.objects.count() == 1
    assert project_secrets(project) == {"VENDOR_TOKEN": "two"}
    second.refresh_from_db()
    assert second.updated_by == alice and second.updated_at >= first.updated_at and second.created_at == first.created_at


def test_each_project_has_its_own_secrets(project, other_project):
    project_secret_set(project=project, name="TOKEN", value="acme's")
    project_secret_set(project=other_project, name="TOKEN", value="other's")
    assert project_secrets(project) == {"TOKEN": "acme's"}
    assert project_secrets(other_project) == {"TOKEN": "other's"}


def test_all_secrets_are_read_in_one_query(project, django_assert_num_queries):
    for n in range(5):
        project_secret_set(project=project, name=f"S{n}", value=f"v{n}")
    with django_assert_num_queries(1):
        assert len(project_secrets(project)) == 5


def test_delete(project):
    project_secret_set(project=project, name="TOKEN", value=VALUE)
    assert project_secret_delete(project=project, name="TOKEN") is True
    assert project_secret_delete(project=project, name="TOKEN") is False
    assert project_secrets(project) == {}


@pytest.mark.parametrize(
    "name, message",
    [
        ("APP_API_URL", "APP_API_URL is reserved: {secret.APP_API_URL} is the server's public base URL"),
        ("", "needs a name"),
        ("1TOKEN", "not starting with a digit"),
        ("VENDOR-TOKEN", "letters, digits and underscores"),
        ("VENDOR TOKEN", "letters, digits and underscores"),
        ("TÖKEN", "letters, digits and underscores"),
        ("A" * 101, "at most 100 characters"),
        ("TOKEN\n", "letters, digits and underscores"),
    ],
)
def test_invalid_and_reserved_names_are_refused_and_nothing_is_saved(project, name, message):
    with pytest.raises(ValueError) as refused:
        project_secret_set(project=project, name=name, value=VALUE)
    assert message in str(refused.value)
    assert not ProjectSecret.objects.exists()


def test_the_longest_name_and_underscore_names_are_fine(project):
    for name in ("A" * 100, "_private", "a1_B2"):
        project_secret_set(project=project, name=name, value=VALUE)
    assert len(project_secret_names(project)) == 3


@pytest.mark.parametrize(
    "value, message",
    [("", "cannot be empty"), ("x" * 4097, "at most 4096 characters"), ("a\x00b", "NUL"), (None, "cannot be empty")],
)
def test_invalid_values_are_refused_without_quoting_them_and_nothing_is_saved(project, value, message):
    with pytest.raises(ValueError) as refused:
        project_secret_set(project=project, name="TOKEN", value=value)
    assert message in str(refused.value)
    assert not ProjectSecret.objects.exists()


def test_the_longest_value_is_fine(project):
    project_secret_set(project=project, name="TOKEN", value="x" * 4096)
    assert project_secrets(project)["TOKEN"] == "x" * 4096


def test_repr_and_str_show_the_name_only(project):
    secret = project_secret_set(project=project, name="TOKEN", value=VALUE)
    for shown in (repr(secret), str(secret), repr(ProjectSecret.objects.get())):
        assert "TOKEN" in shown
        assert VALUE not in shown and secret.ciphertext not in shown


def test_with_keys_set_the_first_one_encrypts(project):
    with override_settings(SECRETS_ENCRYPTION_KEYS=[KEY_1]):
        project_secret_set(project=project, name="TOKEN", value=VALUE)
    assert Fernet(KEY_1).decrypt(stored_ciphertext(project, "TOKEN").encode()).decode() == VALUE


def test_a_key_is_rotated_by_putting_a_new_one_first(project):
    with override_settings(SECRETS_ENCRYPTION_KEYS=[KEY_1]):
        project_secret_set(project=project, name="OLD", value="old value")
    with override_settings(SECRETS_ENCRYPTION_KEYS=[KEY_2, KEY_1]):
        assert project_secrets(project) == {"OLD": "old value"}
        project_secret_set(project=project, name="NEW", value="new value")
        assert project_secrets(project) == {"NEW": "new value", "OLD": "old value"}
    new_token = stored_ciphertext(project, "NEW").encode()
    assert Fernet(KEY_2).decrypt(new_token) == b"new value"
    with pytest.raises(InvalidToken):
        Fernet(KEY_1).decrypt(new_token)


def test_reencrypting_lets_the_old_key_go(project):
    with override_settings(SECRETS_ENCRYPTION_KEYS=[KEY_1]):
        project_secret_set(project=project, name="TOKEN", value=VALUE)
        hook_secret = project_hook_secret_rotate(project=project)
    with override_settings(SECRETS_ENCRYPTION_KEYS=[KEY_2, KEY_1]):
        out = io.StringIO()
        call_command("reencrypt_secrets", stdout=out)
        assert "Re-encrypted 2 secret(s)" in out.getvalue()  # the secret and the project's hook secret
    project.refresh_from_db()
    with override_settings(SECRETS_ENCRYPTION_KEYS=[KEY_2]):
        assert project_secrets(project) == {"TOKEN": VALUE}
        assert project_hook_secret(project) == hook_secret


def test_the_comma_separated_environment_form_is_accepted(project):
    with override_settings(SECRETS_ENCRYPTION_KEYS=f"{KEY_2}, {KEY_1}"):
        project_secret_set(project=project, name="TOKEN", value=VALUE)
        assert project_secrets(project) == {"TOKEN": VALUE}
    assert Fernet(KEY_2).decrypt(stored_ciphertext(project, "TOKEN").encode()).decode() == VALUE


def test_a_secret_whose_key_was_removed_is_named_in_a_clear_error(project):
    with override_settings(SECRETS_ENCRYPTION_KEYS=[KEY_1]):
        project_secret_set(project=project, name="VENDOR_TOKEN", value=VALUE)
    with override_settings(SECRETS_ENCRYPTION_KEYS=[KEY_2]):
        with pytest.raises(SecretUnreadable) as unreadable:
            project_secrets(project)
    message = str(unreadable.value)
    assert "secret VENDOR_TOKEN of project acme cannot be decrypted" in message
    assert "SECRETS_ENCRYPTION_KEYS" in message and "set its value again" in message
    # Not chained to cryptography's InvalidToken: the message is the whole story.
    assert unreadable.value.__cause__ is None and unreadable.value.__suppress_context__


def test_reencrypting_reports_what_it_cannot_read_and_keeps_it(project):
    with override_settings(SECRETS_ENCRYPTION_KEYS=[KEY_1]):
        project_secret_set(project=project, name="LOST", value=VALUE)
    before = stored_ciphertext(project, "LOST")
    with override_settings(SECRETS_ENCRYPTION_KEYS=[KEY_2]):
        done, unreadable = secrets_reencrypt()
        assert any("secret LOST of project acme" in problem for problem in unreadable)
        with pytest.raises(CommandError, match="could not be decrypted"):
            call_command("reencrypt_secrets")
    assert stored_ciphertext(project, "LOST") == before


def test_without_keys_the_key_follows_secret_key_and_its_fallbacks(project, settings):
    project_secret_set(project=project, name="TOKEN", value=VALUE)
    old_secret_key = settings.SECRET_KEY
    with override_settings(SECRET_KEY="another-secret-key-" + "x" * 40, SECRET_KEY_FALLBACKS=[old_secret_key]):
        assert project_secrets(project) == {"TOKEN": VALUE}
    with override_settings(SECRET_KEY="another-secret-key-" + "x" * 40, SECRET_KEY_FALLBACKS=[]):
        with pytest.raises(SecretUnreadable, match="secret TOKEN of project acme"):
            project_secrets(project)


def test_the_derived_key_is_not_the_secret_key():
    key = derived_key("some secret key")
    Fernet(key)  # a valid Fernet key
    assert b"some secret key" not in key and derived_key("some secret key") == key != derived_key("other")


def test_a_malformed_key_is_a_system_check_error_that_does_not_quote_it():
    with override_settings(SECRETS_ENCRYPTION_KEYS=[KEY_1, "not-a-fernet-key"]):
        errors = secrets_encryption_keys_are_valid(None)
    assert [error.id for error in errors] == ["projects.E003"]
    assert "Key 2 of SECRETS_ENCRYPTION_KEYS" in errors[0].msg and "not-a-fernet-key" not in errors[0].msg
    with override_settings(SECRETS_ENCRYPTION_KEYS=[KEY_1]):
        assert secrets_encryption_keys_are_valid(None) == []
