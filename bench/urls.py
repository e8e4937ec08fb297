"""The app's URLs plus one trivial authenticated endpoint that inserts one row: the baseline
the benchmark compares `run` against. Used only by `bench/run.py` (ROOT_URLCONF=bench.urls)."""

import secrets

from django.urls import path
from rest_framework.response import Response
from rest_framework.views import APIView

from config.urls import handler404, handler500, urlpatterns as app_urlpatterns  # noqa: F401
from workflows.models import IdempotencyRecord


class InsertOneRowView(APIView):
    def post(self, request):
        IdempotencyRecord.objects.create(
            project=request.user.project, key=secrets.token_hex(16), request_fingerprint="-", claim="-"
        )
        return Response({"ok": True}, status=201)


urlpatterns = [*app_urlpatterns, path("bench/insert", InsertOneRowView.as_view())]
