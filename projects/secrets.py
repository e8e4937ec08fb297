"""Encryption at rest of what a project keeps secret: its secrets (`{secret.NAME}` in plugin
definitions) and its hook secret.

Fernet tokens (AES-CBC with an HMAC-SHA256 over them), keyed by SECRETS_ENCRYPTION_KEYS: the
first key encrypts, every key decrypts (MultiFernet), so a key is rotated by putting a new one
first, running `manage.py reencrypt_secrets`, then removing the old one. Without the setting one
key is derived from SECRET_KEY, so development and tests need no setup; production should set
its own keys, or else changing SECRET_KEY (without keeping the old one in SECRET_KEY_FALLBACKS)
makes every stored secret unreadable.
"""

import base64
import binascii
import functools

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.views.decorators.debug import sensitive_variables

# Changing this label changes the derived key, and every secret encrypted with it is lost.
DERIVED_KEY_INFO = b"casework projects.secrets encryption key v1"


class SecretUnreadable(Exception):
    """A stored secret that none of the configured keys decrypts (its key was removed, or
    SECRET_KEY changed while no SECRETS_ENCRYPTION_KEYS were set)."""

    def __init__(self, what: str, remedy: str):
        self.what = what
        super().__init__(
            f"The {what} cannot be decrypted: it was encrypted with a key that is no longer in "
            f"SECRETS_ENCRYPTION_KEYS (or, when that is unset, with another SECRET_KEY). Put that "
            f"key back after the first one, or {remedy}."
        )


def derived_key(secret_key: str) -> bytes:
    """A Fernet key derived from `secret_key`: HKDF, so the key says nothing about SECRET_KEY
    and differs from anything else Django derives from it."""
    raw = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=DERIVED_KEY_INFO).derive(secret_key.encode())
    return base64.urlsafe_b64encode(raw)


def _configured_keys() -> tuple[str, ...]:
    keys = settings.SECRETS_ENCRYPTION_KEYS
    if isinstance(keys, str):
        keys = keys.split(",")
    return tuple(key.strip() for key in keys if key and key.strip())


def encryption_keys_problem(keys: tuple[str, ...] | None = None) -> str | None:
    """Why SECRETS_ENCRYPTION_KEYS cannot be used, naming the key by position (never by value)."""
    for position, key in enumerate(_configured_keys() if keys is None else keys, start=1):
        try:
            Fernet(key)
        except (ValueError, TypeError, binascii.Error):
            return (
                f"Key {position} of SECRETS_ENCRYPTION_KEYS is not a Fernet key (32 bytes, url-safe "
                f"base64: 44 characters)."
            )
    return None


@functools.lru_cache(maxsize=8)
def _fernet_for(configured: tuple[str, ...], secret_key: str, fallbacks: tuple[str, ...]) -> MultiFernet:
    if configured:
        problem = encryption_keys_problem(configured)
        if problem:
            raise ImproperlyConfigured(problem)
        return MultiFernet([Fernet(key) for key in configured])
    # The derived keys follow SECRET_KEY's own rotation: its fallbacks still decrypt.
    return MultiFernet([Fernet(derived_key(key)) for key in (secret_key, *fallbacks)])


def fernet() -> MultiFernet:
    # Keyed on the settings themselves, so override_settings (and a reload) take effect.
    return _fernet_for(
        _configured_keys(),
        settings.SECRET_KEY,
        tuple(getattr(settings, "SECRET_KEY_FALLBACKS", ())),
    )


@sensitive_variables("plaintext")
def encrypt(plaintext: str) -> str:
    return fernet().encrypt(plaintext.encode()).decode("ascii")


@sensitive_variables()
def decrypt(token: str, *, what: str, remedy: str) -> str:
    """The clear text of `token`; SecretUnreadable (naming `what`) when no key opens it."""
    try:
        return fernet().decrypt(token.encode("ascii")).decode()
    except (InvalidToken, UnicodeError):
        raise SecretUnreadable(what, remedy) from None


def reencrypt(token: str, *, what: str, remedy: str) -> str:
    """`token` encrypted anew with the first key (the clear text never leaves cryptography)."""
    try:
        return fernet().rotate(token.encode("ascii")).decode("ascii")
    except (InvalidToken, UnicodeError):
        raise SecretUnreadable(what, remedy) from None
