from django.urls import path

from . import views

app_name = "documents"

urlpatterns = [
    path("files/<uuid:file_id>/", views.file_view, name="file"),
]
