"""Included by workflows.api.urls under /api/v1/external/ (its `anyuuid` converter is registered there)."""

from django.urls import path

from . import api

urlpatterns = [
    path("storage", api.StorageUploadView.as_view(), name="api-storage-upload"),
    path("storage/content/<anyuuid:file_id>", api.BallerineStorageContentView.as_view(), name="api-storage-content-ballerine"),
    path("storage/<anyuuid:file_id>", api.StorageDetailView.as_view(), name="api-storage-detail"),
    path("storage/<anyuuid:file_id>/content", api.StorageContentView.as_view(), name="api-storage-content"),
]
