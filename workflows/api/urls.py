from django.urls import path

from . import views

urlpatterns = [
    path("workflows/run", views.WorkflowRunView.as_view(), name="api-workflow-run"),
    path("workflows", views.WorkflowListView.as_view(), name="api-workflow-list"),
    path("workflows/<uuid:runtime_id>", views.WorkflowDetailView.as_view(), name="api-workflow-detail"),
    path("workflows/<uuid:runtime_id>/event", views.WorkflowEventView.as_view(), name="api-workflow-event"),
    path("workflows/<uuid:runtime_id>/history", views.WorkflowHistoryView.as_view(), name="api-workflow-history"),
    path("workflow-definitions", views.DefinitionListView.as_view(), name="api-definition-list"),
    path("workflow-definitions/<str:key>", views.DefinitionDetailView.as_view(), name="api-definition-detail"),
]
