from django.db import models


class ApiKey(models.Model):
    key_hash = models.CharField(max_length=64, unique=True)

    is_authenticated = True  # what DRF's IsAuthenticated asks of request.user


class Record(models.Model):
    api_key = models.ForeignKey(ApiKey, on_delete=models.CASCADE)
    body = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)
