"""Reads of stored files, always within a project: a file of another project does not exist."""

import uuid

from projects.models import Membership, Project
from workflows.errors import NotFound

from .models import StoredFile


def stored_file_get(*, project: Project, file_id) -> StoredFile:
    """Raises NotFound (404) for an unknown id or another project's file."""
    stored = StoredFile.objects.filter(project=project, pk=file_id).first()
    if stored is None:
        raise NotFound("File not found.")
    return stored


def stored_file_find(*, project: Project, file_id) -> StoredFile | None:
    return StoredFile.objects.filter(project=project, pk=file_id).first()


def stored_files_by_sha256(*, project: Project, sha256: str) -> list[StoredFile]:
    """The project's files with these exact bytes, newest first (to reuse instead of storing again)."""
    return list(StoredFile.objects.filter(project=project, sha256=sha256.lower()))


def stored_file_for_member(*, user, file_id) -> StoredFile | None:
    """The file when `user` is a member of its project (any of their projects, not only the
    current one: a page opened before switching projects keeps showing its files). Being a
    superuser alone gives no access, as on the case pages."""
    if not user.is_authenticated:
        return None
    member_of = Membership.objects.filter(user=user).values("project_id")
    return StoredFile.objects.filter(pk=file_id, project_id__in=member_of).first()


def stored_files_in(*, project, file_ids) -> dict:
    """str(id) -> the project's file, for the ids that are its files (one query; ids that are
    not UUIDs are left out)."""
    valid = set()
    for value in file_ids:
        try:
            valid.add(uuid.UUID(str(value)))
        except ValueError:
            continue
    if not valid:
        return {}
    return {str(stored.pk): stored for stored in StoredFile.objects.filter(project=project, pk__in=valid)}
