from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseRedirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables

from workflows.api.throttling import default_limits

from .models import SECRET_VALUE_MAX_LENGTH, ApiKey, Membership, Project, ProjectSecret, secret_value_problem
from .services import (
    api_key_create,
    api_key_expiry_problem,
    api_key_revoke,
    api_key_used,
    project_hook_secret_rotate,
    project_secret_set,
    project_webhook_secret_rotate,
)


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Project)
class ProjectAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "created_at"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    change_form_template = "admin/projects/project/change_form.html"
    fields = ["name", "slug", "webhook_secret", "hook_secret"]
    readonly_fields = ["webhook_secret", "hook_secret"]
    inlines = [MembershipInline]
    actions = ["rotate_webhook_secret"]

    @admin.action(description="Replace the webhook secret (receivers need the new one)")
    def rotate_webhook_secret(self, request, queryset):
        for project in queryset:
            project_webhook_secret_rotate(project=project)
        self.message_user(request, f"New webhook secret for {queryset.count()} project(s).", messages.SUCCESS)

    @admin.display(description="hook secret")
    def hook_secret(self, obj):
        # Never the secret nor its encryption: only when it was made.
        if obj is None or obj.pk is None:
            return "Generated when the project is created, and never shown: generate a new one on its page to give it to a vendor."
        when = timezone.localtime(obj.hook_secret_generated_at).strftime("%Y-%m-%d %H:%M %Z")
        return (
            f"Generated on {when}; never shown again. Vendors sign their callbacks to the hook with it "
            "(X-HMAC-Signature). \u201cGenerate a new hook secret\u201d shows a new one once; the current one then stops working."
        )

    def get_urls(self):
        rotate = path(
            "<path:object_id>/hook-secret/",
            self.admin_site.admin_view(self.rotate_hook_secret_view),
            name="projects_project_rotate_hook_secret",
        )
        return [rotate, *super().get_urls()]

    @method_decorator(sensitive_variables("secret"))
    def rotate_hook_secret_view(self, request, object_id):
        """The "Generate a new hook secret" button of a project's page (POST only)."""
        project = self.get_object(request, object_id)
        change_url = reverse("admin:projects_project_change", args=[object_id])
        if project is None:
            raise Http404("No such project.")
        if request.method != "POST":
            return HttpResponseRedirect(change_url)
        if not self.has_change_permission(request, project):
            raise PermissionDenied
        secret = project_hook_secret_rotate(project=project)
        self.log_change(request, project, "Generated a new hook secret.")
        # Shown once, as a new API key is: only its encryption is stored, and never displayed.
        messages.warning(
            request,
            f"New hook secret of {project} (copy it now, it is not shown again; the previous one no longer works): {secret}",
        )
        return HttpResponseRedirect(change_url)

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None and self.has_change_permission(request, obj):
            context["rotate_hook_secret_url"] = reverse("admin:projects_project_rotate_hook_secret", args=[obj.pk])
        return super().render_change_form(request, context, add, change, form_url, obj)


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


class ProjectSecretForm(forms.ModelForm):
    """Write-only: the value is typed in, never shown, not even encrypted (the widget renders
    empty). Editing with the value left blank keeps the stored one."""

    value = forms.CharField(
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        strip=False,  # a secret is used exactly as typed
        required=False,
        max_length=SECRET_VALUE_MAX_LENGTH,
    )

    class Meta:
        model = ProjectSecret
        fields = ["project", "name"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "value" in self.fields:
            if self.instance.pk is None:
                self.fields["value"].required = True
                self.fields["value"].help_text = "Stored encrypted, and never shown again."
            else:
                self.fields["value"].help_text = "Leave blank to keep the current value; a new one replaces it."

    def clean_value(self):
        value = self.cleaned_data.get("value") or ""
        if value == "" and self.instance.pk is not None:
            return ""
        problem = secret_value_problem(value)
        if problem:
            raise forms.ValidationError(problem)
        return value


@admin.register(ProjectSecret)
class ProjectSecretAdmin(admin.ModelAdmin):
    """Secrets that plugin definitions use as {secret.NAME}. Write-only: neither the value nor
    its encryption is ever on a page."""

    form = ProjectSecretForm
    list_display = ["name", "project", "updated_at", "updated_by"]
    list_filter = ["project"]
    search_fields = ["name", "project__slug"]
    list_select_related = ["project", "updated_by"]

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["project", "name", "value"]
        if not self.has_change_permission(request, obj):
            return ["project", "name", "value_set"]
        return ["project", "name", "value_set", "value"]

    def get_readonly_fields(self, request, obj=None):
        # A secret is referred to by name from definitions: renaming it is a new secret.
        return ["project", "name", "value_set"] if obj is not None else []

    @admin.display(description="value")
    def value_set(self, obj):
        when = timezone.localtime(obj.updated_at).strftime("%Y-%m-%d %H:%M %Z")
        by = f" by {obj.updated_by}" if obj.updated_by else ""
        return f"Set on {when}{by}. Never shown again."

    @method_decorator(sensitive_post_parameters("value"))
    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        return super().changeform_view(request, object_id, form_url, extra_context)

    @method_decorator(sensitive_variables("value"))
    def save_model(self, request, obj, form, change):
        value = form.cleaned_data.get("value") or ""
        if not value:
            return  # an edit that keeps the value: nothing else on the page can change
        saved = project_secret_set(project=obj.project, name=obj.name, value=value, actor_user=request.user)
        for field in ("pk", "ciphertext", "created_at", "updated_at", "updated_by_id"):
            setattr(obj, field, getattr(saved, field))
