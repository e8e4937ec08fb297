from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseRedirect
from django.urls import path, reverse

from workflows.api.throttling import default_limits

from .models import ApiKey, Membership, Project
from .services import api_key_create, api_key_expiry_problem, api_key_revoke, api_key_used, project_webhook_secret_rotate


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

    def clean_expires_at(self):
        expires_at = self.cleaned_data.get("expires_at")
        if not self.instance.pk or "expires_at" in self.changed_data:
            problem = api_key_expiry_problem(expires_at)
            if problem:
                raise forms.ValidationError(problem)
        return expires_at

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
    """Keys are revoked, not deleted, once used: what they did stays attributed to them."""

    form = ApiKeyForm
    change_form_template = "admin/projects/apikey/change_form.html"
    list_display = ["name", "project", "lookup", "status", "created_at", "expires_at", "revoked_at", "last_used_at"]
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

    @admin.display(description="status")
    def status(self, obj):
        return obj.status().label

    def has_delete_permission(self, request, obj=None):
        if obj is not None and api_key_used(obj):
            return False
        return super().has_delete_permission(request, obj)

    def get_urls(self):
        revoke = path("<path:object_id>/revoke/", self.admin_site.admin_view(self.revoke_view), name="projects_apikey_revoke")
        return [revoke, *super().get_urls()]

    def revoke_view(self, request, object_id):
        """The Revoke button of a key's own page (POST only)."""
        api_key = self.get_object(request, object_id)
        change_url = reverse("admin:projects_apikey_change", args=[object_id])
        if api_key is None:
            raise Http404("No such API key.")
        if request.method != "POST":
            return HttpResponseRedirect(change_url)
        if not self.has_change_permission(request, api_key):
            raise PermissionDenied
        if api_key_revoke(api_key=api_key):
            self.message_user(request, f"Key {api_key} revoked: it no longer authenticates.", messages.SUCCESS)
        else:
            when = api_key.revoked_at.strftime("%Y-%m-%d %H:%M")
            self.message_user(request, f"Key {api_key} was already revoked ({when} UTC).", messages.WARNING)
        return HttpResponseRedirect(change_url)

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None:
            context["revoke_url"] = reverse("admin:projects_apikey_revoke", args=[obj.pk])
            context["key_status"] = obj.status()
            context["key_used"] = api_key_used(obj)
        return super().render_change_form(request, context, add, change, form_url, obj)

    @admin.action(description="Revoke selected API keys")
    def revoke_selected(self, request, queryset):
        revoked = sum(api_key_revoke(api_key=api_key) for api_key in queryset)
        already = queryset.count() - revoked
        self.message_user(request, f"Revoked {revoked} key(s).", messages.SUCCESS)
        if already:
            self.message_user(request, f"{already} key(s) were already revoked and are unchanged.", messages.WARNING)
