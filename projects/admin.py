from django.contrib import admin, messages

from .models import ApiKey, Membership, Project
from .services import api_key_create, api_key_revoke, project_webhook_secret_rotate


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Project)
class ProjectAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "created_at"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    fields = ["name", "slug", "webhook_secret"]
    readonly_fields = ["webhook_secret"]
    inlines = [MembershipInline]
    actions = ["rotate_webhook_secret"]

    @admin.action(description="Replace the webhook secret (receivers need the new one)")
    def rotate_webhook_secret(self, request, queryset):
        for project in queryset:
            project_webhook_secret_rotate(project=project)
        self.message_user(request, f"New webhook secret for {queryset.count()} project(s).", messages.SUCCESS)


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "project", "role", "created_at"]
    list_filter = ["role", "project"]
    search_fields = ["user__username", "project__slug"]
    autocomplete_fields = ["user", "project"]


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    list_display = ["name", "project", "lookup", "created_at", "expires_at", "revoked_at", "last_used_at"]
    list_filter = ["project"]
    search_fields = ["name", "lookup"]
    fields = ["project", "name", "expires_at", "lookup", "created_by", "created_at", "revoked_at", "last_used_at"]
    readonly_fields = ["lookup", "created_by", "created_at", "revoked_at", "last_used_at"]
    actions = ["revoke_selected"]

    def get_readonly_fields(self, request, obj=None):
        if obj is not None:  # a key's project never changes after creation
            return [*self.readonly_fields, "project"]
        return self.readonly_fields

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        created, raw_key = api_key_create(
            project=obj.project, name=obj.name, created_by=request.user, expires_at=obj.expires_at
        )
        obj.pk = created.pk
        obj.lookup = created.lookup
        obj.key_hash = created.key_hash
        obj.created_at = created.created_at
        # Shown once: only the hash is stored.
        messages.warning(request, f"New API key (copy it now, it is not shown again): {raw_key}")

    @admin.action(description="Revoke selected API keys")
    def revoke_selected(self, request, queryset):
        for api_key in queryset:
            api_key_revoke(api_key=api_key)
        self.message_user(request, f"Revoked {queryset.count()} key(s).")
