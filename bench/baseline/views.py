from rest_framework.response import Response
from rest_framework.views import APIView

from .models import Record


class InsertView(APIView):
    """Stores the JSON body (one INSERT) and answers 201 with the new row's id."""

    def post(self, request):
        record = Record.objects.create(api_key=request.user, body=request.data)
        return Response({"id": record.pk}, status=201)
