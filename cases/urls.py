from django.urls import path

from . import bulk_views, case_views, entity_views, views

from . import maintenance_views

app_name = "cases"

urlpatterns = [
    path("", views.home, name="home"),
    path("projects/switch/", views.project_switch, name="project-switch"),
    path("queues/<slug:slug>/", views.queue_detail, name="queue"),
    path("queues/<slug:slug>/new/", views.case_create, name="case-create"),
    path("queues/<slug:slug>/export.csv", views.queue_export, name="queue-export"),
    path("queues/<slug:slug>/bulk/", bulk_views.queue_bulk, name="queue-bulk"),
    path("queues/<slug:slug>/views/", bulk_views.saved_view_save, name="saved-view-save"),
    path("views/<int:view_id>/delete/", bulk_views.saved_view_remove, name="saved-view-delete"),
    path("cases/<uuid:runtime_id>/", case_views.case_detail, name="case"),
    path("cases/<uuid:runtime_id>/case-file.html", entity_views.case_file_download, name="case-file"),
    path("entities/<uuid:entity_id>/", entity_views.entity_profile, name="entity"),
    path("cases/<uuid:runtime_id>/event/", case_views.case_event, name="case-event"),
    path("cases/<uuid:runtime_id>/assign/", case_views.case_assign_view, name="case-assign"),
    path("cases/<uuid:runtime_id>/note/", case_views.case_note, name="case-note"),
    path("cases/<uuid:runtime_id>/decision/confirm/", case_views.case_decision_confirm, name="case-decision-confirm"),
    path("cases/<uuid:runtime_id>/documents/fetch/", case_views.case_document_fetch, name="case-document-fetch"),
    path("cases/<uuid:runtime_id>/documents/decision/", case_views.case_document_decision, name="case-document-decision"),
    path("cases/<uuid:runtime_id>/plugins/run/", case_views.case_plugin_run, name="case-plugin-run"),
    path("cases/<uuid:runtime_id>/decision/return/", case_views.case_decision_return, name="case-decision-return"),
    path("cases/<uuid:runtime_id>/entity/edit/", maintenance_views.case_edit_entity, name="case-edit-entity"),
    path("cases/<uuid:runtime_id>/version/move/", maintenance_views.case_move_version, name="case-move-version"),
]
