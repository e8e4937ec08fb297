import uuid

from django.db import models

from projects.models import Project

from .content import MimeType


class StoredFile(models.Model):
    """One uploaded file of a project, checked (documents.content) before it was stored.

    `file_name` is the uploader's name made harmless, only ever shown; the storage path is made
    from the project and the id, never from the name."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="stored_files")
    file_name = models.CharField(max_length=255)
    mime_type = models.CharField(max_length=32, choices=MimeType.choices)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    storage_path = models.CharField(max_length=255, unique=True)
    # TIFF only: the PNG that browsers are shown.
    rendition_path = models.CharField(max_length=255, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    created_by_label = models.CharField(max_length=200, blank=True, default="")

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["project", "sha256"], name="storedfile_project_sha256")]

    def __str__(self):
        return f"{self.file_name} ({self.mime_type}, {self.size} bytes)"

    @property
    def has_rendition(self) -> bool:
        return bool(self.rendition_path)
