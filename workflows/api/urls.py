import uuid

from django.urls import include, path, register_converter

from automation import api as automation_api
from documents.decision_api import DocumentDecisionView

from . import views


class AnyCaseUUIDConverter:
    """A UUID in either case: some client platforms print them in capitals."""

    regex = "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"

    def to_python(self, value):
        return uuid.UUID(value)

    def to_url(self, value):
        return str(value)


register_converter(AnyCaseUUIDConverter, "anyuuid")

urlpatterns = [
    path("workflows/run", views.WorkflowRunView.as_view(), name="api-workflow-run"),
    path("workflows", views.WorkflowListView.as_view(), name="api-workflow-list"),
    path("workflows/<anyuuid:runtime_id>", views.WorkflowDetailView.as_view(), name="api-workflow-detail"),
    path("workflows/<anyuuid:runtime_id>/event", views.WorkflowEventView.as_view(), name="api-workflow-event"),
    path("workflows/<anyuuid:runtime_id>/history", views.WorkflowHistoryView.as_view(), name="api-workflow-history"),
    path("workflows/<anyuuid:runtime_id>/plugin-runs", automation_api.WorkflowPluginRunsView.as_view(), name="api-workflow-plugin-runs"),
    path(
        "workflows/<anyuuid:runtime_id>/documents/<str:document_id>/decision",
        DocumentDecisionView.as_view(),
        name="api-workflow-document-decision",
    ),
    path("workflows/<anyuuid:runtime_id>/hook/<str:event>", automation_api.WorkflowHookView.as_view(), name="api-workflow-hook"),
    path("workflow-definitions", views.DefinitionListView.as_view(), name="api-definition-list"),
    path("workflow-definitions/<str:key>", views.DefinitionDetailView.as_view(), name="api-definition-detail"),
    path("", include("documents.api_urls")),
]
