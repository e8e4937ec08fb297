from dataclasses import dataclass

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from projects.models import ApiKey, Project
from projects.selectors import api_key_authenticate
from projects.services import api_key_record_use


@dataclass(frozen=True)
class ApiClient:
    """The caller of the external API: an API key, standing for its project."""

    api_key: ApiKey

    is_authenticated = True
    is_anonymous = False

    @property
    def project(self) -> Project:
        return self.api_key.project


class ApiKeyAuthentication(authentication.BaseAuthentication):
    """`Authorization: Bearer <key>`. Missing, unknown, revoked and expired keys get 401."""

    keyword = "Bearer"

    def authenticate(self, request):
        header = request.headers.get("Authorization", "")
        if not header:
            return None
        scheme, _, raw_key = header.partition(" ")
        if scheme.lower() != self.keyword.lower() or not raw_key.strip():
            raise exceptions.AuthenticationFailed("Use 'Authorization: Bearer <API key>'.")
        api_key = api_key_authenticate(raw_key.strip())
        if api_key is None:
            raise exceptions.AuthenticationFailed("Invalid, revoked or expired API key.")
        api_key_record_use(api_key=api_key)
        return ApiClient(api_key), api_key

    def authenticate_header(self, request):
        return self.keyword


class ApiKeyAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = ApiKeyAuthentication
    name = "ApiKey"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer", "description": "A project API key."}
