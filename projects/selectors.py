import hashlib
import hmac
import re

from django.db.models import QuerySet
from django.views.decorators.debug import sensitive_variables

from config.fastload import get_with_related

from .models import ApiKey, Membership, Project, ProjectSecret, api_key_lookup_part, hash_api_key
from .secrets import decrypt


def api_key_authenticate(raw_key: str) -> ApiKey | None:
    """The usable key matching `raw_key`, or None. The hash is compared in constant time."""
    lookup = api_key_lookup_part(raw_key or "")
    if lookup is None:
        return None
    key = _api_key_with_project(lookup)
    if key is None or not hmac.compare_digest(key.key_hash, hash_api_key(raw_key)):
        return None
    return key if key.is_usable() else None


def _api_key_with_project(lookup: str) -> ApiKey | None:
    """The key with this lookup part (unique), its project loaded, in one SELECT built once
    (config.fastload): every API request runs it, and the ORM spent longer building this join
    than the database spends answering it (bench/run.py)."""
    return get_with_related(ApiKey, related=("project",), filters={"lookup": lookup})


def project_list_for_user(user) -> QuerySet[Project]:
    if not user.is_authenticated:
        return Project.objects.none()
    return Project.objects.filter(memberships__user=user).distinct()


def membership_get(*, user, project) -> Membership | None:
    if not user.is_authenticated:
        return None
    return Membership.objects.filter(user=user, project=project).first()


PROJECT_SECRET_REMEDY = "set its value again (admin: Project secrets)"
HOOK_SECRET_REMEDY = "generate a new hook secret (admin: the project's page, or manage.py rotate_hook_secret)"


@sensitive_variables("values")
def project_secrets(project: Project) -> dict[str, str]:
    """The project's secrets by name, decrypted, in one query. SecretUnreadable naming the
    first secret that no configured key decrypts."""
    values = {}
    for name, ciphertext in ProjectSecret.objects.filter(project=project).order_by("name").values_list("name", "ciphertext"):
        values[name] = decrypt(
            ciphertext, what=f"secret {name} of project {project.slug}", remedy=PROJECT_SECRET_REMEDY
        )
    return values


def project_secret_names(project: Project) -> list[str]:
    return list(ProjectSecret.objects.filter(project=project).order_by("name").values_list("name", flat=True))


def project_hook_secret(project: Project) -> str:
    """The hook secret in clear, for checking signatures; SecretUnreadable when no key opens it."""
    return decrypt(project.hook_secret_ciphertext, what=f"hook secret of project {project.slug}", remedy=HOOK_SECRET_REMEDY)


HOOK_SIGNATURE_RE = re.compile(r"(?:sha256=)?([0-9a-fA-F]{64})")


@sensitive_variables("secret", "expected")
def hook_signature_valid(project: Project, body: bytes, signature: str | None) -> bool:
    """Whether `signature` (X-HMAC-Signature: the hex HMAC-SHA256 of the exact body bytes with
    the project's hook secret, optionally prefixed `sha256=`) signs `body`. False when it is
    missing or malformed; SecretUnreadable when the hook secret cannot be decrypted (the
    server's fault, not the caller's: it should be answered as a server error)."""
    if not isinstance(body, (bytes, bytearray, memoryview)):
        # A str would have to be encoded, and would then not be the bytes that were signed.
        raise TypeError("hook_signature_valid needs the body's bytes as received")
    match = HOOK_SIGNATURE_RE.fullmatch(signature.strip()) if isinstance(signature, str) else None
    if match is None:
        return False
    secret = project_hook_secret(project)
    expected = hmac.new(secret.encode(), bytes(body), hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, match.group(1).lower())
