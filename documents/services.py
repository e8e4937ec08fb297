"""Storing files: checked whole before anything is written, then written through Django's
storage API (`storages["documents"]`: the file system or an S3 bucket) and recorded as one row."""

import contextlib
import hashlib
import mmap
import tempfile
import unicodedata
import uuid
from dataclasses import dataclass
from pathlib import PureWindowsPath

from django.conf import settings
from django.core.files import File
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.db import transaction

from projects.models import Project
from workflows.errors import FieldError, ServiceError

from . import content as checks
from .models import StoredFile

READ_CHUNK_BYTES = 1024 * 1024
FILE_NAME_MAX_LENGTH = 255
DEFAULT_FILE_NAME = "file"


class FileRefused(ServiceError):
    """The file was not stored: `reason` says why, in words for the uploader."""

    def __init__(self, reason: str, *, status_code: int = 400, path: str = "file"):
        self.reason = reason
        super().__init__(message=reason, errors=[FieldError(path, reason)], status_code=status_code)


def documents_storage():
    return storages["documents"]


def file_name_clean(name) -> str:
    """The uploader's name as something safe to show and to put in Content-Disposition: its last
    path part (either slash), without control or format characters (NUL, bidi overrides), at
    most 255 characters with its extension kept. It is never used as a path."""
    name = PureWindowsPath(str(name or "")).name  # splits on both / and \
    name = "".join(ch for ch in name if unicodedata.category(ch) not in ("Cc", "Cf", "Cs", "Zl", "Zp"))
    name = " ".join(name.split()).strip(". ")
    if not name:
        return DEFAULT_FILE_NAME
    if len(name) > FILE_NAME_MAX_LENGTH:
        stem, dot, extension = name.rpartition(".")
        if dot and 0 < len(extension) <= 16:
            name = stem[: FILE_NAME_MAX_LENGTH - len(extension) - 1] + "." + extension
        else:
            name = name[:FILE_NAME_MAX_LENGTH]
    return name


@dataclass
class Received:
    data: object  # bytes, or an mmap of the temporary copy
    file: File
    size: int
    sha256: str


def too_large(limit: int) -> FileRefused:
    return FileRefused(f"The file is larger than the {limit:,} bytes accepted.", status_code=413)


@contextlib.contextmanager
def received(content, limit: int):
    """The content, read at most limit + 1 bytes, hashed on the way; a file-like is copied to a
    temporary file (mapped, not loaded, for the checks) so nothing holds it all in memory."""
    if isinstance(content, (bytes, bytearray, memoryview)):
        data = bytes(content)
        if len(data) > limit:
            raise too_large(limit)
        yield Received(data, ContentFile(data), len(data), hashlib.sha256(data).hexdigest())
        return
    digest, size = hashlib.sha256(), 0
    with tempfile.TemporaryFile() as copy:
        while chunk := content.read(min(READ_CHUNK_BYTES, limit + 1 - size)):
            size += len(chunk)
            if size > limit:
                raise too_large(limit)
            digest.update(chunk)
            copy.write(chunk)
        copy.flush()
        if not size:
            yield Received(b"", File(copy), 0, digest.hexdigest())
            return
        with mmap.mmap(copy.fileno(), 0, access=mmap.ACCESS_READ) as data:
            yield Received(data, File(copy), size, digest.hexdigest())


def file_problem(content) -> str | None:
    """Why `content` (bytes or a binary file-like) would be refused by file_store, or None;
    nothing is stored. For a form with several files, to name every refused one at once."""
    try:
        with received(content, settings.DOCUMENT_MAX_BYTES) as upload:
            checks.check(upload.data, max_pixels=settings.DOCUMENT_MAX_PIXELS)
    except FileRefused as refused:
        return refused.reason
    except checks.ContentRefused as refusal:
        return refusal.message
    return None


def file_store(*, project: Project, content, file_name: str, created_by_label: str = "") -> StoredFile:
    """Stores `content` (bytes or a binary file-like) as a file of `project`.

    Raises FileRefused (400, 413 when too large) and then nothing is stored. The checks run
    before the storage is written to; should the row not be saved, the written files are
    removed again. (Inside a caller's transaction that later rolls back, the files stay in the
    storage without a row: unreachable, since files are only ever served through their row.)"""
    limit = settings.DOCUMENT_MAX_BYTES
    with received(content, limit) as upload:
        try:
            checked = checks.check(upload.data, max_pixels=settings.DOCUMENT_MAX_PIXELS)
        except checks.ContentRefused as refusal:
            raise FileRefused(refusal.message) from None
        file_id = uuid.uuid4()
        path = f"documents/{project.pk}/{file_id}"
        storage = documents_storage()
        written = []
        try:
            written.append(storage.save(path, upload.file))
            if checked.rendition_png is not None:
                written.append(storage.save(f"{path}.png", ContentFile(checked.rendition_png)))
            with transaction.atomic():
                return StoredFile.objects.create(
                    id=file_id,
                    project=project,
                    file_name=file_name_clean(file_name),
                    mime_type=checked.mime_type,
                    size=upload.size,
                    sha256=upload.sha256,
                    storage_path=written[0],
                    rendition_path=written[1] if len(written) > 1 else "",
                    created_by_label=created_by_label[:200],
                )
        except BaseException:
            for name in written:
                with contextlib.suppress(Exception):
                    storage.delete(name)
            raise


def file_open(stored_file: StoredFile, *, rendition: bool = False) -> File:
    """The stored bytes (or the PNG rendition of a TIFF), opened for streaming; close it after."""
    path = stored_file.rendition_path if rendition else stored_file.storage_path
    if not path:
        raise ValueError("This file has no rendition.")
    return documents_storage().open(path, "rb")
