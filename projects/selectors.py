import hmac

from django.db.models import QuerySet

from config.fastload import get_with_related

from .models import ApiKey, Membership, Project, api_key_lookup_part, hash_api_key


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
