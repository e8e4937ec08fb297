from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables

from .models import (
    ApiKey,
    Membership,
    Project,
    ProjectSecret,
    Role,
    hash_api_key,
    new_hook_secret,
    new_raw_api_key,
    new_webhook_secret,
    secret_name_problem,
    secret_value_problem,
)
from .secrets import SecretUnreadable, encrypt, reencrypt
from .selectors import HOOK_SECRET_REMEDY, PROJECT_SECRET_REMEDY, hook_signature_valid  # noqa: F401  (part of this module's API)


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


@sensitive_variables("value")
def project_secret_set(*, project: Project, name: str, value: str, actor_user=None) -> ProjectSecret:
    """Create or replace the project's secret `name`. ValueError (nothing saved) for a name
    that is invalid or reserved, or a value that is empty, too long or holds a NUL."""
    problem = secret_name_problem(name) or secret_value_problem(value)
    if problem:
        raise ValueError(problem)
    secret, _ = ProjectSecret.objects.update_or_create(
        project=project, name=name, defaults={"ciphertext": encrypt(value), "updated_by": actor_user}
    )
    return secret


def project_secret_delete(*, project: Project, name: str) -> bool:
    """False when the project had no secret of that name."""
    deleted, _ = ProjectSecret.objects.filter(project=project, name=name).delete()
    return bool(deleted)


@sensitive_variables("secret")
def project_hook_secret_rotate(*, project: Project) -> str:
    """A new hook secret; returns it in clear, the only time it is. Signatures made with the
    previous one no longer validate."""
    secret = new_hook_secret()
    project.hook_secret_ciphertext = encrypt(secret)
    project.hook_secret_generated_at = timezone.now()
    project.save(update_fields=["hook_secret_ciphertext", "hook_secret_generated_at"])
    return secret


def secrets_reencrypt() -> tuple[int, list[str]]:
    """Encrypts every stored secret anew with the first of SECRETS_ENCRYPTION_KEYS, so that the
    older keys can be removed. Returns how many were re-encrypted, and what could not be
    decrypted (left unchanged)."""
    done, unreadable = 0, []
    for secret in ProjectSecret.objects.select_related("project").only("pk", "name", "ciphertext", "project__slug"):
        try:
            token = reencrypt(
                secret.ciphertext,
                what=f"secret {secret.name} of project {secret.project.slug}",
                remedy=PROJECT_SECRET_REMEDY,
            )
        except SecretUnreadable as error:
            unreadable.append(str(error))
            continue
        ProjectSecret.objects.filter(pk=secret.pk, ciphertext=secret.ciphertext).update(ciphertext=token)
        done += 1
    for project in Project.objects.only("pk", "slug", "hook_secret_ciphertext"):
        try:
            token = reencrypt(
                project.hook_secret_ciphertext, what=f"hook secret of project {project.slug}", remedy=HOOK_SECRET_REMEDY
            )
        except SecretUnreadable as error:
            unreadable.append(str(error))
            continue
        # Conditional: a rotation meanwhile wins over this copy of the older secret.
        Project.objects.filter(pk=project.pk, hook_secret_ciphertext=project.hook_secret_ciphertext).update(
            hook_secret_ciphertext=token
        )
        done += 1
    return done, unreadable
