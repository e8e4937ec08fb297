from django.contrib import admin

from .models import PluginAttempt, PluginRun


class PluginAttemptInline(admin.TabularInline):
    model = PluginAttempt
    fields = ["number", "started_at", "duration_ms", "http_status", "error"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(PluginRun)
class PluginRunAdmin(admin.ModelAdmin):
    """Read-only: runs are written by the cases' changes and the worker (Run again is on the
    case page, where the case's rules apply)."""

    list_display = ["created_at", "plugin_name", "plugin_kind", "state", "status", "attempt_count", "http_status", "finished_at"]
    list_filter = ["project", "status", "plugin_kind"]
    search_fields = ["plugin_name", "runtime__id"]
    list_select_related = ["project"]
    fields = [
        "project", "runtime", "plugin_name", "plugin_list", "plugin_kind", "display_name", "state", "entry", "position",
        "status", "idempotency_key", "attempt_count", "next_attempt_at", "claimed_until", "started_at", "finished_at",
        "duration_ms", "http_status", "error", "request", "response_excerpt", "requested_by_label", "callback_received_at",
        "created_at",
    ]
    readonly_fields = fields
    inlines = [PluginAttemptInline]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return request.method in ("GET", "HEAD") and super().has_change_permission(request, obj)
