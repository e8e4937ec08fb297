import copy
import json
import uuid

import pytest

from workflows.models import Entity, HistoryEvent, IdempotencyRecord, WorkflowRuntime

from .conftest import RUN_URL, SEED_BODY


def row_counts():
    return tuple(m.objects.count() for m in (Entity, WorkflowRuntime, HistoryEvent, IdempotencyRecord))


def test_seed_request_creates_a_case_in_manual_review(api):
    response = api.run()
    assert response.status_code == 201
    body = response.json()
    assert set(body) == {
        "workflowDefinitionId",
        "workflowDefinitionVersion",
        "workflowRuntimeId",
        "ballerineEntityId",
        "entities",
        "state",
        "status",
        "tags",
        "created",
    }
    assert body["workflowDefinitionId"] == "till_basic_kyb_demo"
    assert body["workflowDefinitionVersion"] == 1
    assert (body["state"], body["status"], body["tags"], body["created"]) == ("manual_review", "active", ["manual_review"], True)
    assert body["entities"] == [{"id": body["ballerineEntityId"], "type": "business", "correlationId": "my-enduser-id111"}]
    detail = api.get(f"/api/v1/external/workflows/{body['workflowRuntimeId']}").json()
    assert detail["context"] == SEED_BODY["context"]


def test_seed_request_sent_again_answers_200_with_the_same_runtime(api):
    first = api.run().json()
    second = api.run()
    assert second.status_code == 200
    assert second.json()["workflowRuntimeId"] == first["workflowRuntimeId"]
    assert second.json()["created"] is False
    assert WorkflowRuntime.objects.count() == 1


def test_validation_errors_list_every_path_and_write_nothing(api):
    body = {"workflowId": "till_basic_kyb_demo", "context": {"entity": {"type": "robot", "id": "", "data": {}}}}
    before = row_counts()
    response = api.run(body)
    assert response.status_code == 400
    payload = response.json()
    assert payload["statusCode"] == 400
    assert payload["message"] == "Validation error"
    paths = {e["path"] for e in payload["errors"]}
    assert {"context.entity.type", "context.entity.id"} <= paths
    assert row_counts() == before


@pytest.mark.parametrize(
    ("body", "path"),
    [
        ({"context": {}}, "workflowId"),
        ({"workflowId": "till_basic_kyb_demo"}, "context"),
        ({"workflowId": "till_basic_kyb_demo", "context": []}, "context"),
        ({"workflowId": "till_basic_kyb_demo", "context": SEED_BODY["context"], "version": 0}, "version"),
        ({"workflowId": "till_basic_kyb_demo", "context": SEED_BODY["context"], "config": "x"}, "config"),
        ({"workflowId": "till_basic_kyb_demo", "context": SEED_BODY["context"], "config": {"x": 1}}, "config.x"),
    ],
)
def test_malformed_run_bodies_are_400_with_the_field_path(api, body, path):
    response = api.run(body)
    assert response.status_code == 400
    assert path in [e["path"] for e in response.json()["errors"]]
    assert WorkflowRuntime.objects.count() == 0


def test_context_schema_violation_is_refused_not_logged_and_let_through(api):
    body = json.loads(json.dumps(SEED_BODY))
    del body["context"]["entity"]["data"]["companyName"]
    response = api.run(body)
    assert response.status_code == 400
    assert "context.entity.data.companyName" in [e["path"] for e in response.json()["errors"]]
    assert row_counts() == (0, 0, 0, 0)


def test_each_missing_field_is_reported_once(api):
    body = json.loads(json.dumps(SEED_BODY))
    del body["context"]["entity"]["data"]["companyName"]
    paths = [e["path"] for e in api.run(body).json()["errors"]]
    assert paths.count("context.entity.data.companyName") == 1


def test_schema_only_violations_are_reported_with_their_paths(api):
    body = json.loads(json.dumps(SEED_BODY))
    body["context"]["entity"]["data"]["additionalInfo"]["mainRepresentative"]["email"] = 42
    response = api.run(body)
    assert response.status_code == 400
    assert [e["path"] for e in response.json()["errors"]] == ["context.entity.data.additionalInfo.mainRepresentative.email"]


def test_unknown_workflow_is_404(api):
    response = api.run({**SEED_BODY, "workflowId": "nope"})
    assert response.status_code == 404
    assert response.json()["statusCode"] == 404


def test_another_projects_definition_is_404(api, other_project):
    from tests.factories import DefinitionVersionFactory

    DefinitionVersionFactory(definition__project=other_project, definition__key="private_flow")
    response = api.run({**SEED_BODY, "workflowId": "private_flow"})
    assert response.status_code == 404
    assert row_counts() == (0, 0, 0, 0)


def test_malformed_json_is_400(api):
    response = api.post(RUN_URL, raw='{"workflowId": ')
    assert response.status_code == 400
    message = response.json()["message"]
    assert message.startswith("Malformed JSON: ") and message.count("Malformed JSON") == 1


def test_a_number_with_thousands_of_digits_is_400_with_a_plain_message(api):
    response = api.post(RUN_URL, raw='{"workflowId": "till_basic_kyb_demo", "context": {"n": ' + "9" * 5000 + "}}")
    assert response.status_code == 400
    assert response.json()["message"] == "Malformed JSON: a whole number has more than 4300 digits"


def test_nan_is_not_json(api):
    response = api.post(RUN_URL, raw='{"workflowId": "till_basic_kyb_demo", "context": {"x": NaN}}')
    assert response.status_code == 400


def test_a_key_given_twice_in_one_object_is_refused_and_nothing_is_written(api):
    raw = json.dumps(SEED_BODY)[:-1] + ', "workflowId": "another"}'
    response = api.post(RUN_URL, raw=raw)
    assert response.status_code == 400
    assert response.json()["message"] == 'Malformed JSON: the key "workflowId" appears more than once in one object'
    assert not WorkflowRuntime.objects.exists()


def test_the_same_key_in_different_objects_is_fine(api):
    assert api.run().status_code == 201  # "id" and "type" appear at several levels of the seed body


def test_wrong_content_type_is_415(api):
    response = api.post(RUN_URL, raw="workflowId=x", content_type="application/x-www-form-urlencoded")
    assert response.status_code == 415
    assert response.json()["statusCode"] == 415


def test_body_over_the_limit_is_413_and_writes_nothing(api, settings):
    settings.API_MAX_BODY_BYTES = 2000
    body = json.loads(json.dumps(SEED_BODY))
    body["context"]["entity"]["data"]["padding"] = "x" * 3000
    response = api.run(body)
    assert response.status_code == 413
    assert response.json() == {"statusCode": 413, "message": "Request body too large", "errors": []}
    assert row_counts() == (0, 0, 0, 0)


def test_get_on_run_is_405(api):
    response = api.get(RUN_URL)
    assert response.status_code == 405
    assert response.json()["statusCode"] == 405


def test_unknown_api_path_is_a_json_404(api):
    response = api.get("/api/v1/external/nothing-here")
    assert response.status_code == 404
    assert response.json()["statusCode"] == 404


def test_idempotency_key_replays_the_first_response(api):
    first = api.run(headers={"Idempotency-Key": "abc-1"})
    second = api.run(headers={"Idempotency-Key": "abc-1"})
    assert (first.status_code, second.status_code) == (201, 201)
    assert second.json() == first.json()
    assert HistoryEvent.objects.count() == 1


def test_idempotency_key_with_another_body_is_422(api):
    api.run(headers={"Idempotency-Key": "abc-2"})
    other = {**SEED_BODY, "config": {"language": "de"}}
    response = api.run(other, headers={"Idempotency-Key": "abc-2"})
    assert response.status_code == 422
    assert "different request body" in response.json()["message"]


def test_failed_request_does_not_burn_its_idempotency_key(api):
    bad = {**SEED_BODY, "workflowId": "nope"}
    assert api.run(bad, headers={"Idempotency-Key": "k"}).status_code == 404
    assert IdempotencyRecord.objects.count() == 0


def test_idempotency_keys_are_per_project(api, other_api):
    mine = api.run(headers={"Idempotency-Key": "shared"}).json()
    theirs = other_api.run(headers={"Idempotency-Key": "shared"}).json()
    assert mine["workflowRuntimeId"] != theirs["workflowRuntimeId"]


def test_run_for_a_new_entity_stays_within_the_query_budget(api, django_assert_max_num_queries):
    api.get("/api/v1/external/workflow-definitions")  # warm the key's last-used stamp
    # the key, the version, the entity, the case, its history rows, and the transaction's two
    with django_assert_max_num_queries(7):
        response = api.run()
    assert response.status_code == 201


def test_response_carries_a_request_id(api):
    response = api.run()
    assert uuid.UUID(hex=response["X-Request-ID"])


def test_sane_incoming_request_id_is_kept(api):
    response = api.get("/api/v1/external/workflows", headers={"X-Request-ID": "trace-42"})
    assert response["X-Request-ID"] == "trace-42"


def test_initial_event_not_handled_is_400_and_creates_nothing(api):
    response = api.run({**SEED_BODY, "config": {"initialEvent": "no_such_event"}})
    assert response.status_code == 400
    [error] = response.json()["errors"]
    assert error["path"] == "config.initialEvent"
    assert "approve" in error["message"]
    assert row_counts() == (0, 0, 0, 0)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("workflowId", 5, "Must be a string."),
        ("version", "1", "Must be a whole number."),
        ("version", 1.5, "Must be a whole number."),
        ("version", True, "Must be a whole number."),
    ],
)
def test_fields_of_the_wrong_json_type_are_400_not_guessed(api, field, value, message):
    response = api.run({**SEED_BODY, field: value})
    assert response.status_code == 400
    assert response.json()["errors"] == [{"path": field, "message": message}]
    assert row_counts() == (0, 0, 0, 0)


def test_event_name_that_is_not_a_string_is_400(api):
    runtime_id = api.run().json()["workflowRuntimeId"]
    response = api.post(f"/api/v1/external/workflows/{runtime_id}/event", {"name": 7})
    assert response.status_code == 400
    assert response.json()["errors"] == [{"path": "name", "message": "Must be a string."}]


def test_an_individual_on_a_business_workflow_gets_only_the_type_mismatch(api):
    body = copy.deepcopy(SEED_BODY)
    body["context"]["entity"] = {"type": "individual", "id": "p-1", "data": {"firstName": "Ada"}}
    response = api.run(body)
    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"path": "context.entity.type", "message": "This workflow takes businesses, not individuals."}
    ]


def test_context_schema_errors_speak_like_the_built_in_checks(api):
    body = copy.deepcopy(SEED_BODY)
    body["context"]["entity"]["data"]["country"] = 7
    body["context"]["entity"]["data"]["additionalInfo"]["mainRepresentative"]["email"] = "not-an-email"
    response = api.run(body)
    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"path": "context.entity.data.additionalInfo.mainRepresentative.email", "message": "Must be a valid email."},
        {"path": "context.entity.data.country", "message": "Must be a string."},
    ]


def test_two_idempotency_keys_joined_by_a_comma_are_refused_and_write_nothing(api):
    response = api.run(headers={"Idempotency-Key": "x1,x2"})
    assert response.status_code == 400
    assert "sent once" in response.json()["message"]
    assert row_counts() == (0, 0, 0, 0)
