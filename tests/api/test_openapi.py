"""The OpenAPI document names things as an integrator would: request bodies, enums."""

import pytest


@pytest.fixture
def schema(anonymous):
    response = anonymous.get("/api/schema/", headers={"Accept": "application/json"})
    assert response.status_code == 200
    return response.json()


def test_request_bodies_are_named_once(schema):
    names = set(schema["components"]["schemas"])
    assert {"RunRequest", "EventRequest"} <= names
    assert not any(name.endswith("RequestRequest") for name in names)


def test_a_runtimes_status_is_an_enum_of_the_three_statuses(schema):
    runtime = schema["components"]["schemas"]["Runtime"]["properties"]
    assert runtime["status"] == {"$ref": "#/components/schemas/RuntimeStatusEnum"}
    assert schema["components"]["schemas"]["RuntimeStatusEnum"]["enum"] == ["active", "completed", "failed"]


def test_the_order_by_choices_are_described_in_words(schema):
    [order_by] = [p for p in schema["paths"]["/api/v1/external/workflows"]["get"]["parameters"] if p["name"] == "orderBy"]
    assert "`createdAt` - Created at" in order_by["description"]
    assert "Createdat" not in order_by["description"]
