import json

import pytest
from django.core.cache import cache
from django.test import Client

from projects.services import api_key_create

RUN_URL = "/api/v1/external/workflows/run"

SEED_BODY = {
    "workflowId": "till_basic_kyb_demo",
    "context": {
        "entity": {
            "type": "business",
            "id": "my-enduser-id111",
            "data": {
                "country": "US",
                "registrationNumber": "756OPOPOP08238",
                "companyName": "TILL COMPANY LIMITED",
                "additionalInfo": {
                    "mainRepresentative": {
                        "email": "email@ballerine.com",
                        "lastName": "Last",
                        "firstName": "First",
                    }
                },
            },
        },
        "documents": [],
    },
}


class ApiClient:
    """The Django test client speaking JSON with a Bearer key, through the whole stack."""

    def __init__(self, raw_key=None):
        self.client = Client()
        self.raw_key = raw_key

    def headers(self, extra=None):
        headers = {} if self.raw_key is None else {"Authorization": f"Bearer {self.raw_key}"}
        return {**headers, **(extra or {})}

    def get(self, url, params=None, headers=None):
        return self.client.get(url, params or {}, headers=self.headers(headers))

    def post(self, url, body=None, headers=None, raw=None, content_type="application/json"):
        data = raw if raw is not None else json.dumps(body if body is not None else {})
        return self.client.post(url, data=data, content_type=content_type, headers=self.headers(headers))

    def run(self, body=None, headers=None):
        return self.post(RUN_URL, SEED_BODY if body is None else body, headers=headers)


@pytest.fixture(autouse=True)
def _clear_throttle_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def api(demo_project):
    _, raw_key = api_key_create(project=demo_project, name="tests")
    return ApiClient(raw_key)


@pytest.fixture
def other_api(other_project):
    """A client of another project that defines the same workflow key."""
    from workflows.definition_files import definition_file_load, demo_definition_paths

    for path in demo_definition_paths():
        definition_file_load(project=other_project, path=path)
    _, raw_key = api_key_create(project=other_project, name="other")
    return ApiClient(raw_key)


@pytest.fixture
def anonymous(db):
    return ApiClient()
