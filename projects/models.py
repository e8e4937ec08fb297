import hashlib
import re
import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone

from .secrets import encrypt


class ApiKeyStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    REVOKED = "revoked", "Revoked"
    EXPIRED = "expired", "Expired"


def new_webhook_secret() -> str:
    return secrets.token_hex(32)


def new_hook_secret() -> str:
    return secrets.token_hex(32)


def new_hook_secret_ciphertext() -> str:
    return encrypt(new_hook_secret())


class Project(models.Model):
    """The tenant: every other row belongs to exactly one project."""

    slug = models.SlugField(max_length=64, unique=True)
    name = models.CharField(max_length=200)
    # Signs webhook bodies (HMAC-SHA256). Kept in clear: the signature is computed from it.
    webhook_secret = models.CharField(max_length=128, default=new_webhook_secret)
    # Kept by the webhooks app: lets a change skip looking for subscriptions when none exist.
    has_webhook_subscriptions = models.BooleanField(default=False, editable=False)
    # Authenticates vendor callbacks to the hook (X-HMAC-Signature). Not the webhook secret:
    # every webhook subscriber knows that one and could replay a signed webhook to the hook.
    # Encrypted (projects.secrets), and shown in clear only once, when it is generated.
    hook_secret_ciphertext = models.TextField(default=new_hook_secret_ciphertext, editable=False)
    hook_secret_generated_at = models.DateTimeField(default=timezone.now, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class Role(models.TextChoices):
    VIEWER = "viewer", "Viewer"
    OPERATOR = "operator", "Operator"
    ADMIN = "admin", "Admin"


ACTING_ROLES = frozenset({Role.OPERATOR, Role.ADMIN})


class Membership(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.VIEWER)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["project", "user"], name="membership_unique_user"),
        ]

    def __str__(self):
        return f"{self.user} in {self.project} ({self.role})"

    @property
    def can_act(self) -> bool:
        return self.role in ACTING_ROLES


API_KEY_PREFIX = "cw_"
API_KEY_LOOKUP_LENGTH = 12


def hash_api_key(raw_key: str) -> str:
    # Keys carry 256 bits of randomness, so a fast hash is enough (as for GitHub tokens).
    return hashlib.sha256(raw_key.encode()).hexdigest()


def new_raw_api_key() -> tuple[str, str]:
    """A new key and its public lookup part: `cw_<lookup>_<secret>`."""
    lookup = secrets.token_hex(API_KEY_LOOKUP_LENGTH // 2)
    return f"{API_KEY_PREFIX}{lookup}_{secrets.token_urlsafe(32)}", lookup


def api_key_lookup_part(raw_key: str) -> str | None:
    if not raw_key.startswith(API_KEY_PREFIX):
        return None
    rest = raw_key[len(API_KEY_PREFIX) :]
    if len(rest) <= API_KEY_LOOKUP_LENGTH + 1 or rest[API_KEY_LOOKUP_LENGTH] != "_":
        return None
    lookup = rest[:API_KEY_LOOKUP_LENGTH]
    return lookup if all(c in "0123456789abcdef" for c in lookup) else None


class ApiKey(models.Model):
    """A project's key for the external API. Only a hash of the key is stored."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="api_keys")
    name = models.CharField(max_length=100)
    lookup = models.CharField(max_length=API_KEY_LOOKUP_LENGTH, unique=True, editable=False)
    key_hash = models.CharField(max_length=64, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    # Rate limits of this key (workflows.api.throttling); blank: API_THROTTLE_RATE / _BURST.
    throttle_rate_per_minute = models.PositiveIntegerField(
        "sustained rate (requests per minute)",
        null=True,
        blank=True,
        validators=[MinValueValidator(1)],
        help_text="Blank: the default, API_THROTTLE_RATE.",
    )
    throttle_burst = models.PositiveIntegerField(
        "burst (requests in one second)",
        null=True,
        blank=True,
        validators=[MinValueValidator(1)],
        help_text="Blank: the default, API_THROTTLE_BURST.",
    )

    class Meta:
        verbose_name = "API key"
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.name} ({API_KEY_PREFIX}{self.lookup}_…)"

    def status(self, now=None) -> "ApiKeyStatus":
        now = now or timezone.now()
        if self.revoked_at is not None:
            return ApiKeyStatus.REVOKED
        if self.expires_at is not None and self.expires_at <= now:
            return ApiKeyStatus.EXPIRED
        return ApiKeyStatus.ACTIVE

    def is_usable(self, now=None) -> bool:
        now = now or timezone.now()
        if self.revoked_at is not None:
            return False
        return self.expires_at is None or self.expires_at > now


SECRET_NAME_MAX_LENGTH = 100
SECRET_VALUE_MAX_LENGTH = 4096
SECRET_NAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# Names a definition can write as {secret.NAME} that are not the project's to set.
RESERVED_SECRET_NAMES = {
    "APP_API_URL": "APP_API_URL is reserved: {secret.APP_API_URL} is the server's public base URL (setting PUBLIC_BASE_URL), not a project secret.",
}


def secret_name_problem(name) -> str | None:
    if not isinstance(name, str) or not name:
        return "A secret needs a name."
    if len(name) > SECRET_NAME_MAX_LENGTH:
        return f"A secret's name has at most {SECRET_NAME_MAX_LENGTH} characters."
    if not SECRET_NAME_RE.fullmatch(name):
        return (
            "A secret's name is letters, digits and underscores, not starting with a digit "
            "(it is written {secret.NAME} in a definition)."
        )
    return RESERVED_SECRET_NAMES.get(name)


def secret_value_problem(value) -> str | None:
    # Never quotes the value: these messages reach forms, logs and API answers.
    if not isinstance(value, str) or value == "":
        return "A secret's value cannot be empty."
    if len(value) > SECRET_VALUE_MAX_LENGTH:
        return f"A secret's value has at most {SECRET_VALUE_MAX_LENGTH} characters."
    if "\x00" in value:
        return "A secret's value cannot contain a NUL character."
    return None


def validate_secret_name(name):
    problem = secret_name_problem(name)
    if problem:
        raise ValidationError(problem, code="invalid_secret_name")


class ProjectSecret(models.Model):
    """A value a project's plugin definitions use as {secret.NAME}. Only its encryption is
    stored; it is never shown again once set (admin: write-only)."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="secrets")
    name = models.CharField(max_length=SECRET_NAME_MAX_LENGTH, validators=[validate_secret_name])
    ciphertext = models.TextField(editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["project", "name"], name="project_secret_unique_name"),
        ]

    def __str__(self):
        # Also the repr, the admin's history and its messages: the name only.
        return self.name
