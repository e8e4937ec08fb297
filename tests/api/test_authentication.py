from datetime import timedelta

import pytest
from django.utils import timezone

from projects.models import ApiKey
from projects.services import api_key_create, api_key_revoke
from workflows.models import WorkflowRuntime

from .conftest import ApiClient


def assert_401(response):
    assert response.status_code == 401
    body = response.json()
    assert body["statusCode"] == 401
    assert body["errors"] == []
    assert response["WWW-Authenticate"] == "Bearer"


def test_missing_key_gets_401_with_the_error_shape(anonymous, demo_project):
    response = anonymous.run()
    assert_401(response)
    assert response.json()["message"] == "Authentication required"
    assert WorkflowRuntime.objects.count() == 0


@pytest.mark.parametrize("header", ["Bearer cw_nope", "Bearer ", "Basic YWRtaW46YWRtaW4=", "Bearer cw_0123456789ab_wrongsecret"])
def test_unknown_or_malformed_key_gets_401(demo_project, header):
    client = ApiClient()
    response = client.run(headers={"Authorization": header})
    assert_401(response)


def test_revoked_key_gets_401(demo_project):
    api_key, raw_key = api_key_create(project=demo_project, name="old")
    api_key_revoke(api_key=api_key)
    assert_401(ApiClient(raw_key).get("/api/v1/external/workflows"))


def test_expired_key_gets_401(demo_project):
    api_key, raw_key = api_key_create(project=demo_project, name="old", expires_at=timezone.now() + timedelta(days=1))
    type(api_key).objects.filter(pk=api_key.pk).update(expires_at=timezone.now() - timedelta(seconds=1))  # a day later
    assert_401(ApiClient(raw_key).get("/api/v1/external/workflows"))


def test_key_that_has_not_expired_yet_works(demo_project):
    _, raw_key = api_key_create(project=demo_project, name="new", expires_at=timezone.now() + timedelta(days=1))
    assert ApiClient(raw_key).get("/api/v1/external/workflows").status_code == 200


def test_use_of_a_key_is_recorded(api):
    api.get("/api/v1/external/workflows")
    assert ApiKey.objects.get(name="tests").last_used_at is not None
