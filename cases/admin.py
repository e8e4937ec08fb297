from django import forms
from django.contrib import admin

from workflows.models import RuntimeStatus, WorkflowDefinition, WorkflowDefinitionVersion

from .models import Queue, default_queue_statuses
from .queue_rules import NO_DEFINITIONS, definition_label, queue_errors, statechart_states


class CheckedValuesField(forms.MultipleChoiceField):
    """Checkboxes whose values the queue rules judge, so that an unknown value (a stored one, or a
    hand-made request) is refused with their message rather than Django's generic one."""

    widget = forms.CheckboxSelectMultiple

    def valid_value(self, value):
        return True


def _as_list(value) -> list:
    if value is None or value == "":
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


class QueueForm(forms.ModelForm):
    statuses = CheckedValuesField(
        required=False, initial=default_queue_statuses, help_text="The case statuses shown; none checked = all."
    )
    states = CheckedValuesField(
        required=False,
        help_text="The states shown; none checked = all. Each must be a state of a chosen definition "
        "(of any of its versions, since old cases stay on theirs).",
    )

    class Meta:
        model = Queue
        fields = "__all__"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        project = self.instance.project if self.instance.pk else None
        definitions = self.fields["definitions"]
        definitions.required = True
        definitions.error_messages["required"] = NO_DEFINITIONS
        queryset = WorkflowDefinition.objects.order_by("project__name", "name", "key")
        if project is not None:
            # The project of a saved queue is fixed (read-only): offer its definitions only.
            definitions.queryset = queryset.filter(project=project)
            definitions.label_from_instance = definition_label
            versions = WorkflowDefinitionVersion.objects.filter(definition__project=project)
        else:
            definitions.queryset = queryset.select_related("project")
            definitions.label_from_instance = lambda d: f"{d.project.name}: {definition_label(d)}"
            versions = WorkflowDefinitionVersion.objects.all()
        self.fields["statuses"].choices = self._with_unknown_values("statuses", RuntimeStatus.choices, "unknown status")
        self.fields["states"].choices = self._with_unknown_values(
            "states", self._state_choices(versions, with_project=project is None), "not a state of any definition"
        )

    @staticmethod
    def _state_choices(versions, *, with_project: bool) -> list[tuple[str, str]]:
        """Every state of the offered definitions (all versions), each labelled with the
        definitions that have it; read in one query."""
        rows = versions.order_by().values_list(
            "statechart", "definition__key", "definition__name", "definition__project__name"
        )
        found: dict[str, set[str]] = {}
        for statechart, key, name, project_name in rows:
            label = definition_label(WorkflowDefinition(key=key, name=name))
            if with_project:
                label = f"{project_name}: {label}"
            for state in statechart_states(statechart):
                found.setdefault(state, set()).add(label)
        return [(state, f"{state} — {', '.join(sorted(found[state]))}") for state in sorted(found)]

    def _with_unknown_values(self, name, choices, note) -> list[tuple[str, str]]:
        """`choices` and, checked as given, any other value stored or submitted, so that it is
        shown (and refused) rather than silently dropped."""
        if self.is_bound:
            values = self.fields[name].widget.value_from_datadict(self.data, self.files, self.add_prefix(name))
        else:
            values = self.get_initial_for_field(self.fields[name], name)
        known = {value for value, _ in choices}
        unknown = [str(v) for v in _as_list(values) if str(v) not in known]
        return [*choices, *((v, f"{v} ({note})") for v in dict.fromkeys(unknown))]

    def clean(self):
        cleaned = super().clean()
        project = self.instance.project if self.instance.pk else cleaned.get("project")
        for error in queue_errors(
            project=project,
            entity_kind=cleaned.get("entity_kind"),
            definitions=None if "definitions" in self.errors else list(cleaned.get("definitions", [])),
            statuses=cleaned.get("statuses", []),
            states=cleaned.get("states", []),
        ):
            self.add_error(error.path, error.message)
        return cleaned


@admin.register(Queue)
class QueueAdmin(admin.ModelAdmin):
    form = QueueForm
    list_display = ["name", "project", "entity_kind", "position"]
    list_filter = ["project", "entity_kind"]
    prepopulated_fields = {"slug": ["name"]}
    filter_horizontal = ["definitions"]

    def get_readonly_fields(self, request, obj=None):
        # A queue's definitions belong to its project, so the project stays as created.
        return ["project"] if obj is not None else []
