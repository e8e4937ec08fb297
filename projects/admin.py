from django import forms
from django.contrib import admin, messages

from workflows.api.throttling import default_limits

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


THROTTLE_FIELDS = ["throttle_rate_per_minute", "throttle_burst"]


class ApiKeyForm(forms.ModelForm):
    class Meta:
        model = ApiKey
        fields = "__all__"

    def clean(self):
        """The burst must allow the sustained rate: a second can hold no more than the burst."""
        cleaned = super().clean()
        if any(field in self.errors for field in THROTTLE_FIELDS):
            return cleaned
        defaults = default_limits()
        rate_per_minute = cleaned.get("throttle_rate_per_minute")
        per_second = rate_per_minute / 60 if rate_per_minute else defaults.per_second
        burst = cleaned.get("throttle_burst") or defaults.burst
        if burst < per_second:
            raise forms.ValidationError(
                f"A burst of {burst} requests a second cannot carry a sustained rate of "
                f"{per_second:g} a second: raise the burst or lower the rate."
            )
        return cleaned


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    form = ApiKeyForm
    list_display = ["name", "project", "lookup", "created_at", "expires_at", "revoked_at", "last_used_at"]
    list_filter = ["project"]
    search_fields = ["name", "lookup"]
    fields = [
        "project", "name", "expires_at", *THROTTLE_FIELDS,
        "lookup", "created_by", "created_at", "revoked_at", "last_used_at",
    ]
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
        if any(getattr(obj, field) is not None for field in THROTTLE_FIELDS):
            for field in THROTTLE_FIELDS:
                setattr(created, field, getattr(obj, field))
            created.save(update_fields=THROTTLE_FIELDS)
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
