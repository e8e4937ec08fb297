from django.contrib import admin

from .models import StoredFile


@admin.register(StoredFile)
class StoredFileAdmin(admin.ModelAdmin):
    """Read-only, and without the contents: files are stored by the API and the case pages,
    with their checks, and shown only through the pages that check the project."""

    list_display = ["created_at", "file_name", "mime_type", "size", "project", "created_by_label"]
    list_filter = ["project", "mime_type"]
    search_fields = ["id", "file_name", "sha256"]
    list_select_related = ["project"]
    fields = ["id", "project", "file_name", "mime_type", "size", "sha256", "storage_path", "rendition_path", "created_at", "created_by_label"]
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False  # the view page instead, without Save

    def has_delete_permission(self, request, obj=None):
        return False  # a row deleted here would leave its bytes in the storage
