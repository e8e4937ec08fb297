from django import forms
from django.contrib import admin

from .models import Queue


class QueueForm(forms.ModelForm):
    class Meta:
        model = Queue
        fields = "__all__"

    def clean(self):
        cleaned = super().clean()
        project = cleaned.get("project")
        definitions = cleaned.get("definitions") or []
        if project and any(d.project_id != project.pk for d in definitions):
            self.add_error("definitions", "Choose definitions of the queue's project only.")
        return cleaned


@admin.register(Queue)
class QueueAdmin(admin.ModelAdmin):
    form = QueueForm
    list_display = ["name", "project", "entity_kind", "position"]
    list_filter = ["project", "entity_kind"]
    prepopulated_fields = {"slug": ["name"]}
    filter_horizontal = ["definitions"]
