import json

from django import forms
from django.contrib import admin, messages
from django.http import HttpResponseRedirect
from django.urls import reverse

from .errors import ServiceError
from .json_values import json_parse
from .models import (
    Entity,
    HistoryEvent,
    IdempotencyRecord,
    WorkflowDefinition,
    WorkflowDefinitionVersion,
    WorkflowRuntime,
)
from .definitions import definition_save, definition_version_update
from .validation import definition_errors, definition_warnings

JSON_WIDGET = forms.Textarea(attrs={"rows": 24, "cols": 100, "style": "font-family: monospace"})

# Where each part of a definition problem's path is edited in the admin form.
PATH_ROOT_TO_FIELD = {"statechart": "statechart", "contextSchema": "context_schema", "config": "config", "extensions": "extensions"}


class PrettyJSONField(forms.JSONField):
    """JSON read as the API reads it (NaN and duplicate keys refused), with the line and
    column of a syntax error in the message."""

    def to_python(self, value):
        if self.disabled:
            return value
        if value in self.empty_values:
            return None
        if isinstance(value, (list, dict, int, float)):
            return value
        try:
            converted = json_parse(value)
        except ValueError as error:
            raise forms.ValidationError(f"Not valid JSON: {error}.", code="invalid") from error
        return forms.fields.JSONString(converted) if isinstance(converted, str) else converted

    def bound_data(self, data, initial):
        if self.disabled:
            return initial
        if data is None:
            return None
        try:
            return json_parse(data)
        except ValueError:
            return forms.fields.InvalidJSONInput(data)

    def prepare_value(self, value):
        if isinstance(value, forms.fields.InvalidJSONInput):  # shown again exactly as typed
            return value
        return json.dumps(value, indent=2, ensure_ascii=False)


class DefinitionVersionForm(forms.ModelForm):
    statechart = PrettyJSONField(widget=JSON_WIDGET)
    context_schema = PrettyJSONField(widget=JSON_WIDGET, required=False)
    config = PrettyJSONField(widget=forms.Textarea(attrs={"rows": 8, "cols": 100, "style": "font-family: monospace"}), required=False)
    extensions = PrettyJSONField(widget=forms.Textarea(attrs={"rows": 4, "cols": 100, "style": "font-family: monospace"}), required=False)

    class Meta:
        model = WorkflowDefinitionVersion
        fields = ["definition", "statechart", "context_schema", "config", "extensions"]

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        for problem in definition_errors(
            statechart=cleaned.get("statechart"),
            context_schema=cleaned.get("context_schema") or {},
            config=cleaned.get("config") or {},
            extensions=cleaned.get("extensions") or {},
        ):
            root = problem.path.split(".", 1)[0].split("[", 1)[0]
            field = PATH_ROOT_TO_FIELD.get(root)
            self.add_error(field, f"{problem.path}: {problem.message}")
        return cleaned


class VersionInline(admin.TabularInline):
    model = WorkflowDefinitionVersion
    fields = ["version", "created_at", "created_by"]
    readonly_fields = fields
    extra = 0
    show_change_link = True
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(WorkflowDefinition)
class WorkflowDefinitionAdmin(admin.ModelAdmin):
    list_display = ["key", "name", "project", "created_at"]
    list_filter = ["project"]
    search_fields = ["key", "name"]
    inlines = [VersionInline]

    def get_readonly_fields(self, request, obj=None):
        return ["project", "key"] if obj is not None else []


@admin.register(WorkflowDefinitionVersion)
class WorkflowDefinitionVersionAdmin(admin.ModelAdmin):
    form = DefinitionVersionForm
    list_display = ["definition", "version", "created_at", "created_by"]
    list_filter = ["definition__project", "definition"]
    readonly_fields = ["version", "created_by", "created_at"]

    def get_readonly_fields(self, request, obj=None):
        if obj is not None:
            return [*self.readonly_fields, "definition"]
        return self.readonly_fields

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        content = {
            "statechart": data["statechart"],
            "context_schema": data.get("context_schema") or {},
            "config": data.get("config") or {},
            "extensions": data.get("extensions") or {},
        }
        try:
            if change:
                result = definition_version_update(
                    version=WorkflowDefinitionVersion.objects.get(pk=obj.pk),
                    created_by=request.user,
                    **content,
                )
            else:
                definition = data["definition"]
                result = definition_save(
                    project=definition.project, key=definition.key, created_by=request.user, **content
                )
        except ServiceError as error:  # raced with another change; the form was valid a moment ago
            messages.error(request, str(error))
            return
        if change and result.version_created:
            messages.info(
                request,
                f"Version {obj.version} is used by runtimes, so your change was saved as "
                f"version {result.version.version}.",
            )
        for warning in definition_warnings(content["config"]):
            messages.warning(request, warning)
        obj.pk, obj.version = result.version.pk, result.version.version

    def response_change(self, request, obj):
        response = super().response_change(request, obj)
        if "_continue" in request.POST and str(obj.pk) != str(request.resolver_match.kwargs.get("object_id")):
            # The change became a new version: keep editing that one, not the version in use.
            return HttpResponseRedirect(reverse("admin:workflows_workflowdefinitionversion_change", args=[obj.pk]))
        return response


class HistoryInline(admin.TabularInline):
    model = HistoryEvent
    fields = ["created_at", "kind", "event_name", "from_state", "to_state", "actor_label"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(WorkflowRuntime)
class WorkflowRuntimeAdmin(ReadOnlyAdmin):
    list_display = ["id", "definition", "entity", "state", "status", "assignee", "created_at"]
    list_filter = ["project", "status", "definition"]
    search_fields = ["id", "entity_name", "entity_correlation_id", "state"]  # the case's indexed copies
    list_select_related = ["definition", "entity", "assignee"]
    inlines = [HistoryInline]


@admin.register(Entity)
class EntityAdmin(ReadOnlyAdmin):
    list_display = ["display_name", "kind", "correlation_id", "approval_state", "project", "updated_at"]
    list_filter = ["project", "kind", "approval_state"]
    search_fields = ["display_name", "correlation_id", "email"]


@admin.register(HistoryEvent)
class HistoryEventAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "runtime", "kind", "event_name", "from_state", "to_state", "actor_label"]
    list_filter = ["project", "kind"]
    list_select_related = ["runtime__definition", "runtime__entity"]


@admin.register(IdempotencyRecord)
class IdempotencyRecordAdmin(ReadOnlyAdmin):
    list_display = ["key", "project", "response_status", "created_at"]
    list_filter = ["project"]
    search_fields = ["key"]
