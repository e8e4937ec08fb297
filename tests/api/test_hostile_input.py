"""Input a client can send that JSON or the database cannot hold: each gets a 4xx with the
standard error body and writes nothing (never a 500)."""

import copy
import json

import pytest

from workflows.models import Entity, HistoryEvent, IdempotencyRecord, WorkflowRuntime

from .conftest import SEED_BODY

LIST_URL = "/api/v1/external/workflows"


def row_counts():
    return tuple(m.objects.count() for m in (Entity, WorkflowRuntime, HistoryEvent, IdempotencyRecord))


def seed_with(company_name):
    body = copy.deepcopy(SEED_BODY)
    body["context"]["entity"]["data"]["companyName"] = company_name
    return body


def assert_error_body(response, status_code):
    assert response.status_code == status_code, response.content
    body = response.json()
    assert body["statusCode"] == status_code
    assert isinstance(body["message"], str) and body["message"]
    return body


def test_deeply_nested_body_is_refused(api):
    before = row_counts()
    raw = '{"workflowId": "till_basic_kyb_demo", "context": ' + "[" * 100_000 + "]" * 100_000 + "}"
    body = assert_error_body(api.post("/api/v1/external/workflows/run", raw=raw), 400)
    assert "nested" in body["message"].lower()
    assert row_counts() == before


def test_context_nested_beyond_the_limit_is_refused_with_its_path(api):
    before = row_counts()
    deep = "leaf"
    for _ in range(200):
        deep = {"x": deep}
    body = copy.deepcopy(SEED_BODY)
    body["context"]["entity"]["data"]["extra"] = deep
    payload = assert_error_body(api.run(body), 400)
    assert payload["errors"][0]["path"].startswith("context.entity.data.extra.x")
    assert "nested" in payload["errors"][0]["message"].lower()
    assert row_counts() == before


@pytest.mark.parametrize(
    "escaped, problem",
    [("\\u0000", "NUL"), ("\\ud800", "surrogate"), ("\\udfff", "surrogate")],
)
def test_strings_the_database_cannot_store_are_refused_with_their_path(api, escaped, problem):
    before = row_counts()
    raw = json.dumps(seed_with("PLACEHOLDER")).replace("PLACEHOLDER", f"ACME{escaped}")
    payload = assert_error_body(api.post("/api/v1/external/workflows/run", raw=raw), 400)
    assert payload["errors"][0]["path"] == "context.entity.data.companyName"
    assert problem in payload["errors"][0]["message"]
    assert row_counts() == before


def test_nul_in_an_object_key_is_refused(api):
    before = row_counts()
    raw = json.dumps(SEED_BODY).replace('"documents"', '"docu\\u0000ments"')
    assert_error_body(api.post("/api/v1/external/workflows/run", raw=raw), 400)
    assert row_counts() == before


def test_nul_in_the_workflow_id_is_refused(api):
    before = row_counts()
    raw = json.dumps({**SEED_BODY, "workflowId": "till_basic_kyb_demo\u0000"})
    assert_error_body(api.post("/api/v1/external/workflows/run", raw=raw), 400)
    assert row_counts() == before


@pytest.mark.parametrize("number", ["1e999", "-1e999"])
def test_numbers_too_large_for_json_are_refused(api, number):
    before = row_counts()
    raw = json.dumps(seed_with("ACME")).replace('"documents": []', f'"documents": [], "score": {number}')
    payload = assert_error_body(api.post("/api/v1/external/workflows/run", raw=raw), 400)
    assert payload["errors"][0]["path"] == "context.score"
    assert row_counts() == before


def test_event_payload_with_a_nul_is_refused_and_the_case_does_not_move(api):
    runtime_id = api.run().json()["workflowRuntimeId"]
    before = row_counts()
    raw = '{"name": "revision", "payload": {"note": "a\\u0000b"}}'
    payload = assert_error_body(api.post(f"/api/v1/external/workflows/{runtime_id}/event", raw=raw), 400)
    assert payload["errors"][0]["path"] == "payload.note"
    assert row_counts() == before
    assert api.get(f"/api/v1/external/workflows/{runtime_id}").json()["state"] == "manual_review"


def test_idempotency_key_with_a_nul_is_refused(api):
    before = row_counts()
    response = api.run(headers={"Idempotency-Key": "key\x00one"})
    assert_error_body(response, 400)
    assert row_counts() == before


@pytest.mark.parametrize("param", ["status", "state", "workflowDefinitionId", "entityId", "orderBy", "createdAfter"])
def test_list_filters_with_a_nul_answer_400(api, param):
    api.run()
    response = api.get(LIST_URL, {param: "active\x00"})
    assert_error_body(response, 400)


def test_definition_key_with_a_nul_is_refused(api):
    assert_error_body(api.get("/api/v1/external/workflow-definitions/till%00basic"), 400)


def test_version_beyond_the_integer_range_is_refused(api):
    before = row_counts()
    payload = assert_error_body(api.run({**SEED_BODY, "version": 2**31}), 400)
    assert payload["errors"][0]["path"] == "version"
    assert row_counts() == before


@pytest.mark.parametrize("value", ["²", "①", "１２", "٣", "1" * 12])
@pytest.mark.parametrize("param", ["page", "limit"])
@pytest.mark.parametrize("url", [LIST_URL, "/api/v1/external/workflow-definitions", "history"])
def test_page_and_limit_in_other_scripts_or_too_long_are_400(api, url, param, value):
    if url == "history":
        url = f"/api/v1/external/workflows/{api.run().json()['workflowRuntimeId']}/history"
    payload = assert_error_body(api.get(url, {param: value}), 400)
    assert payload["errors"] == [{"path": param, "message": payload["errors"][0]["message"]}]
    assert "whole number" in payload["errors"][0]["message"]


def test_unknown_host_header_gets_the_json_error_body_under_the_api(api):
    response = api.get(LIST_URL, headers={"Host": "evil.example"})
    assert response["Content-Type"] == "application/json"
    assert_error_body(response, 400)


def test_unknown_host_header_gets_a_page_outside_the_api(db):
    from django.test import Client

    response = Client().get("/login/", headers={"Host": "evil.example"})
    assert response.status_code == 400
    assert "html" in response["Content-Type"]
