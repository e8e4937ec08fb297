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


class FetchStatus(models.TextChoices):
    PENDING = "pending", "Being fetched"
    DONE = "done", "Fetched"
    FAILED = "failed", "Fetch failed"


class FileFetch(models.Model):
    """A page given by an http(s) `uri`: fetched by the task worker through the one outbound
    client after the change that brought it committed (an outbox), stored, and put in the
    page's place as its `ballerineFileId`. Every attempt is recorded."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="+")
    runtime = models.ForeignKey("workflows.WorkflowRuntime", on_delete=models.CASCADE, related_name="file_fetches")
    document_id = models.CharField(max_length=200)
    page_index = models.PositiveIntegerField()
    uri = models.URLField(max_length=2000)
    status = models.CharField(max_length=16, choices=FetchStatus.choices, default=FetchStatus.PENDING)
    attempt_count = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    claimed_until = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)
    stored_file = models.ForeignKey(StoredFile, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at"]
        indexes = [models.Index(fields=["runtime", "document_id"], name="filefetch_runtime_document")]

    def __str__(self):
        return f"{self.uri} ({self.status})"
