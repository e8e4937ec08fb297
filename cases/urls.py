from django.urls import path

from . import views

app_name = "cases"

urlpatterns = [
    path("", views.home, name="home"),
    path("projects/switch/", views.project_switch, name="project-switch"),
    path("queues/<slug:slug>/", views.queue_detail, name="queue"),
    path("queues/<slug:slug>/new/", views.case_create, name="case-create"),
    path("cases/<uuid:runtime_id>/", views.case_detail, name="case"),
    path("cases/<uuid:runtime_id>/event/", views.case_event, name="case-event"),
    path("cases/<uuid:runtime_id>/assign/", views.case_assign_view, name="case-assign"),
    path("cases/<uuid:runtime_id>/note/", views.case_note, name="case-note"),
]
