"""A schema-driven fuzzer (schemathesis) against the whole API stack: no 5xx, and every
response matches the published OpenAPI schema (status codes, content types, bodies)."""

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from config.wsgi import application
from projects.services import api_key_create

EXAMPLES_PER_OPERATION = 40


@pytest.fixture
def api_schema(demo_project):
    return schemathesis.openapi.from_wsgi("/api/schema/?format=json", application)


@pytest.fixture
def auth_header(demo_project):
    _, raw_key = api_key_create(project=demo_project, name="fuzz")
    return {"Authorization": f"Bearer {raw_key}"}


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(
    max_examples=EXAMPLES_PER_OPERATION,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_api_answers_every_generated_request_as_documented(case, auth_header):
    case.call_and_validate(headers=auth_header)
