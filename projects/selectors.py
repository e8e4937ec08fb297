import hmac

from django.db.models import QuerySet

from .models import ApiKey, Membership, Project, api_key_lookup_part, hash_api_key


def api_key_authenticate(raw_key: str) -> ApiKey | None:
    """The usable key matching `raw_key`, or None. The hash is compared in constant time."""
    lookup = api_key_lookup_part(raw_key or "")
    if lookup is None:
        return None
    key = ApiKey.objects.select_related("project").filter(lookup=lookup).first()
    if key is None or not hmac.compare_digest(key.key_hash, hash_api_key(raw_key)):
        return None
    return key if key.is_usable() else None


def project_list_for_user(user) -> QuerySet[Project]:
    if not user.is_authenticated:
        return Project.objects.none()
    return Project.objects.filter(memberships__user=user).distinct()


def membership_get(*, user, project) -> Membership | None:
    if not user.is_authenticated:
        return None
    return Membership.objects.filter(user=user, project=project).first()
