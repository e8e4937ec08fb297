import hashlib

from rest_framework.authentication import BaseAuthentication
from rest_framework.exceptions import AuthenticationFailed

from .models import ApiKey


class HashedBearerKey(BaseAuthentication):
    """`Authorization: Bearer <key>`, looked up by its SHA-256 (one SELECT)."""

    def authenticate(self, request):
        header = request.META.get("HTTP_AUTHORIZATION", "")
        if not header.startswith("Bearer "):
            return None
        digest = hashlib.sha256(header[7:].encode()).hexdigest()
        key = ApiKey.objects.filter(key_hash=digest).first()
        if key is None:
            raise AuthenticationFailed("Invalid API key")
        return key, key

    def authenticate_header(self, request):
        return "Bearer"
