from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from .models import ApiKey, Membership, Project, Role, hash_api_key, new_raw_api_key, new_webhook_secret


def project_create(*, slug: str, name: str) -> Project:
    return Project.objects.create(slug=slug, name=name)


def membership_set(*, project: Project, user, role: Role | str) -> Membership:
    membership, _ = Membership.objects.update_or_create(
        project=project, user=user, defaults={"role": role}
    )
    return membership


EXPIRED_KEY_MESSAGE = "The expiry must be in the future: a key that has already expired could never be used."


def api_key_expiry_problem(expires_at, now=None) -> str | None:
    if expires_at is not None and expires_at <= (now or timezone.now()):
        return EXPIRED_KEY_MESSAGE
    return None


def api_key_used(api_key: ApiKey) -> bool:
    """Whether the key ever authenticated a request or acted on a case: such a key is kept
    (revoked, never deleted), so what it did stays attributed to it."""
    from workflows.models import HistoryEvent, WorkflowRuntime

    return (
        api_key.last_used_at is not None
        or WorkflowRuntime.objects.filter(created_by_api_key=api_key).exists()
        or HistoryEvent.objects.filter(actor_api_key=api_key).exists()
    )


@transaction.atomic
def api_key_create(*, project: Project, name: str, created_by=None, expires_at=None):
    """Create a key; returns `(api_key, raw_key)`. The raw key exists only in this return value."""
    problem = api_key_expiry_problem(expires_at)
    if problem:
        raise ValueError(problem)
    raw_key, lookup = new_raw_api_key()
    api_key = ApiKey.objects.create(
        project=project,
        name=name,
        lookup=lookup,
        key_hash=hash_api_key(raw_key),
        created_by=created_by,
        expires_at=expires_at,
    )
    return api_key, raw_key


def api_key_revoke(*, api_key: ApiKey) -> bool:
    """Revokes the key; False when it already was (its revocation time is kept)."""
    if api_key.revoked_at is not None:
        return False
    updated = ApiKey.objects.filter(pk=api_key.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
    api_key.refresh_from_db(fields=["revoked_at"])
    return bool(updated)


def api_key_record_use(*, api_key: ApiKey, now=None) -> bool:
    """Note that the key was used, writing at most once per resolution window."""
    now = now or timezone.now()
    window = timedelta(seconds=settings.API_KEY_LAST_USED_RESOLUTION_SECONDS)
    if api_key.last_used_at is not None and now - api_key.last_used_at < window:
        return False
    ApiKey.objects.filter(pk=api_key.pk).update(last_used_at=now)
    api_key.last_used_at = now
    return True


def project_webhook_secret_rotate(*, project: Project) -> str:
    """A new secret for signing the project's webhooks; deliveries sent from now on use it."""
    project.webhook_secret = new_webhook_secret()
    project.save(update_fields=["webhook_secret"])
    return project.webhook_secret
