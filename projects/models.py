import hashlib
import secrets

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone


class ApiKeyStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    REVOKED = "revoked", "Revoked"
    EXPIRED = "expired", "Expired"


def new_webhook_secret() -> str:
    return secrets.token_hex(32)


class Project(models.Model):
    """The tenant: every other row belongs to exactly one project."""

    slug = models.SlugField(max_length=64, unique=True)
    name = models.CharField(max_length=200)
    # Signs webhook bodies (HMAC-SHA256). Kept in clear: the signature is computed from it.
    webhook_secret = models.CharField(max_length=128, default=new_webhook_secret)
    # Kept by the webhooks app: lets a change skip looking for subscriptions when none exist.
    has_webhook_subscriptions = models.BooleanField(default=False, editable=False)
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
