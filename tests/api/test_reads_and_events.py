import json

import pytest

from workflows.models import HistoryEvent, WorkflowRuntime

from .conftest import SEED_BODY

LIST_URL = "/api/v1/external/workflows"


def start(api, entity_id, company="Co"):
    body = json.loads(json.dumps(SEED_BODY))
    body["context"]["entity"]["id"] = entity_id
    body["context"]["entity"]["data"]["companyName"] = company
    response = api.run(body)
    assert response.status_code == 201, response.json()
    return response.json()["workflowRuntimeId"]


def event(api, runtime_id, name, payload=None):
    body = {"name": name} if payload is None else {"name": name, "payload": payload}
    return api.post(f"/api/v1/external/workflows/{runtime_id}/event", body)


def test_runtime_detail_shows_context_entity_and_next_events(api):
    runtime_id = start(api, "e1", "Detail Co")
    body = api.get(f"{LIST_URL}/{runtime_id}").json()
    assert body["nextEvents"] == ["approve", "reject", "revision"]
    assert body["entity"]["name"] == "Detail Co"
    assert body["entity"]["correlationId"] == "e1"
    assert body["assignee"] is None
    assert body["workflowDefinitionId"] == "till_basic_kyb_demo"


def test_event_moves_the_runtime_and_answers_with_it(api):
    runtime_id = start(api, "e1")
    response = event(api, runtime_id, "revision")
    assert response.status_code == 200
    assert (response.json()["state"], response.json()["nextEvents"]) == ("revision", ["RESUBMITTED"])


def test_unhandled_event_is_400_listing_allowed_events(api):
    runtime_id = start(api, "e1")
    response = event(api, runtime_id, "RESUBMITTED")
    assert response.status_code == 400
    assert response.json()["allowedEvents"] == ["approve", "reject", "revision"]
    assert WorkflowRuntime.objects.get().state == "manual_review"


def test_event_on_completed_runtime_is_409(api):
    runtime_id = start(api, "e1")
    assert event(api, runtime_id, "approve").json()["status"] == "completed"
    before = HistoryEvent.objects.count()
    response = event(api, runtime_id, "reject")
    assert response.status_code == 409
    assert response.json()["statusCode"] == 409
    assert HistoryEvent.objects.count() == before


def test_event_without_a_name_is_400(api):
    runtime_id = start(api, "e1")
    response = api.post(f"{LIST_URL}/{runtime_id}/event", {"payload": {}})
    assert response.status_code == 400
    assert [e["path"] for e in response.json()["errors"]] == ["name"]


def test_history_lists_creation_and_transitions(api):
    runtime_id = start(api, "e1")
    event(api, runtime_id, "revision")
    body = api.get(f"{LIST_URL}/{runtime_id}/history").json()
    assert [(h["type"], h["fromState"], h["toState"]) for h in body["data"]] == [
        ("workflow.created", "", "manual_review"),
        ("workflow.transition", "manual_review", "revision"),
    ]
    assert body["data"][0]["actor"] == "API key tests"


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/external/workflows/{id}",
        "/api/v1/external/workflows/{id}/history",
    ],
)
def test_other_projects_cannot_read_a_runtime(api, other_api, url):
    runtime_id = start(api, "e1")
    response = other_api.get(url.format(id=runtime_id))
    assert response.status_code == 404
    assert response.json()["statusCode"] == 404


def test_other_projects_cannot_send_events(api, other_api):
    runtime_id = start(api, "e1")
    assert event(other_api, runtime_id, "approve").status_code == 404
    assert WorkflowRuntime.objects.get().state == "manual_review"


def test_other_projects_do_not_see_runtimes_in_lists(api, other_api):
    start(api, "e1")
    assert other_api.get(LIST_URL).json()["meta"]["total"] == 0


def test_list_is_paginated_with_total_and_pages(api):
    for i in range(5):
        start(api, f"e{i}")
    body = api.get(LIST_URL, {"limit": 2, "page": 3}).json()
    assert body["meta"] == {"total": 5, "totalIsExact": True, "page": 3, "limit": 2, "pages": 3, "nextCursor": None}
    assert len(body["data"]) == 1


def test_past_the_cap_the_total_is_what_is_known_to_exist_and_the_last_page_counts_exactly(api, monkeypatch, django_assert_num_queries):
    from workflows.api import pagination

    monkeypatch.setattr(pagination, "COUNT_CAP", 3)
    for i in range(7):
        start(api, f"e{i}")
    api.get(LIST_URL)  # the key's last-used stamp
    metas = {}
    for page in (1, 2):  # within the cap: counted, up to one more than the cap
        with django_assert_num_queries(3):  # key, capped count, rows
            metas[page] = api.get(LIST_URL, {"limit": 2, "page": page}).json()["meta"]
    for page in (3, 4):  # beyond it: not counted at all
        with django_assert_num_queries(2):  # key, rows
            metas[page] = api.get(LIST_URL, {"limit": 2, "page": page}).json()["meta"]
    assert [(m["total"], m["totalIsExact"], m["pages"]) for m in metas.values()] == [(4, False, 2), (5, False, 3), (7, False, 4), (7, True, 4)]
    assert api.get(LIST_URL, {"limit": 2, "page": 5}).status_code == 404
    # A client that pages while `page < pages` sees every case once.
    seen, page = [], 1
    while True:
        body = api.get(LIST_URL, {"limit": 2, "page": page}).json()
        seen += [row["id"] for row in body["data"]]
        if page >= body["meta"]["pages"]:
            break
        page += 1
    assert len(seen) == len(set(seen)) == 7
    cursor = api.get(LIST_URL, {"limit": 2}).json()["meta"]["nextCursor"]
    assert api.get(LIST_URL, {"limit": 2, "cursor": cursor}).json()["meta"] | {"nextCursor": None} == {
        "total": 4, "totalIsExact": False, "page": None, "limit": 2, "pages": 2, "nextCursor": None
    }


def test_page_numbers_stop_at_the_depth_cap_and_the_cursor_reads_on(api, monkeypatch):
    from workflows.api import pagination

    monkeypatch.setattr(pagination, "PAGE_DEPTH_CAP", 4)
    ids = [start(api, f"deep{i}") for i in range(7)]
    second = api.get(LIST_URL, {"limit": 2, "page": 2}).json()
    assert len(second["data"]) == 2
    refused = api.get(LIST_URL, {"limit": 2, "page": 3})
    assert refused.status_code == 400
    [error] = refused.json()["errors"]
    assert error["path"] == "page" and "cursor" in error["message"] and "first 4 matches" in error["message"]
    assert api.get(LIST_URL, {"limit": 4, "page": 2}).status_code == 400  # the depth, not the number
    # Past the cap, the rows are read with the cursor of the page before.
    seen = [row["id"] for row in second["data"]]
    cursor = second["meta"]["nextCursor"]
    while cursor:
        body = api.get(LIST_URL, {"limit": 2, "cursor": cursor}).json()
        seen += [row["id"] for row in body["data"]]
        cursor = body["meta"]["nextCursor"]
    assert sorted(seen) == sorted(ids[:5])  # the newest two were on page 1


def test_a_page_past_the_last_is_404_within_and_beyond_the_cap(api, monkeypatch):
    from workflows.api import pagination

    start(api, "e1")
    assert api.get(LIST_URL, {"page": 2}).status_code == 404
    monkeypatch.setattr(pagination, "COUNT_CAP", 0)
    assert api.get(LIST_URL, {"page": 2}).status_code == 404
    assert api.get(LIST_URL, {"page": 1}).json()["meta"]["totalIsExact"] is True


def test_list_filters_by_status_state_and_entity(api):
    first = start(api, "e1")
    start(api, "e2")
    event(api, first, "approve")
    assert [r["id"] for r in api.get(LIST_URL, {"status": "completed"}).json()["data"]] == [first]
    assert api.get(LIST_URL, {"state": "manual_review"}).json()["meta"]["total"] == 1
    assert api.get(LIST_URL, {"entityId": "e2"}).json()["data"][0]["entity"]["correlationId"] == "e2"
    assert api.get(LIST_URL, {"workflowDefinitionId": "individual_kyc_demo"}).json()["meta"]["total"] == 0


def test_list_orders_by_the_requested_field(api):
    ids = [start(api, f"e{i}") for i in range(3)]
    body = api.get(LIST_URL, {"orderBy": "createdAt"}).json()
    assert [r["id"] for r in body["data"]] == ids


def test_paging_through_a_sort_with_ties_shows_every_runtime_once(api):
    ids = {start(api, f"tie{i}") for i in range(7)}  # all share state and status
    seen = []
    for page in (1, 2, 3):
        seen += [r["id"] for r in api.get(LIST_URL, {"orderBy": "state", "limit": 3, "page": page}).json()["data"]]
    assert sorted(seen) == sorted(ids)


def test_invalid_filter_value_is_400(api):
    response = api.get(LIST_URL, {"status": "sleeping"})
    assert response.status_code == 400
    assert response.json()["errors"][0]["path"] == "status"


def test_list_uses_the_same_number_of_queries_whatever_the_page_size(api, django_assert_num_queries):
    for i in range(6):
        start(api, f"e{i}")
    api.get(LIST_URL)  # warm the key's last-used stamp
    with django_assert_num_queries(3):  # key, count, rows
        assert len(api.get(LIST_URL, {"limit": 1}).json()["data"]) == 1
    with django_assert_num_queries(3):
        assert len(api.get(LIST_URL, {"limit": 6}).json()["data"]) == 6


def test_definitions_list_and_detail_with_versions(api):
    body = api.get("/api/v1/external/workflow-definitions").json()
    assert [d["id"] for d in body["data"]] == ["individual_kyc_demo", "kyb_automated_checks_demo", "kyb_ubo_demo", "kyc_document_review_demo", "kyc_ubo_demo", "till_basic_kyb_demo"]
    detail = api.get("/api/v1/external/workflow-definitions/till_basic_kyb_demo").json()
    assert detail["latestVersion"] == 1
    assert detail["versions"][0]["definition"]["initial"] == "manual_review"


def test_other_projects_definition_detail_is_404(api, other_project):
    from tests.factories import DefinitionVersionFactory

    DefinitionVersionFactory(definition__project=other_project, definition__key="secret_flow")
    assert api.get("/api/v1/external/workflow-definitions/secret_flow").status_code == 404


def test_date_with_an_offset_postgresql_refuses_is_normalised_to_utc(api):
    start(api, "e1")
    response = api.get(LIST_URL, {"createdBefore": "2999-06-28T11:39:28.2-20:26"})
    assert response.status_code == 200
    assert response.json()["meta"]["total"] == 1


def test_date_that_overflows_in_utc_is_400(api):
    response = api.get(LIST_URL, {"createdAfter": "0001-01-01T00:00:00+05:00"})
    assert response.status_code == 400
    assert response.json()["errors"] == [{"path": "createdAfter", "message": "Date out of range."}]


def test_empty_filter_value_is_400(api):
    response = api.get(LIST_URL, {"state": ""})
    assert response.status_code == 400
    assert response.json()["errors"] == [{"path": "state", "message": "Must not be empty."}]


@pytest.mark.parametrize("params", [{"limit": "0"}, {"limit": "abc"}, {"page": "-1"}, {"limit": "101"}])
def test_bad_page_or_limit_is_400(api, params):
    response = api.get(LIST_URL, params)
    assert response.status_code == 400
    assert response.json()["errors"][0]["path"] == next(iter(params))


def test_a_page_or_limit_given_twice_is_400_saying_so(api):
    response = api.get(f"{LIST_URL}?page=1&page=2&limit=5")
    assert response.status_code == 400
    assert response.json()["errors"] == [{"path": "page", "message": "Give page once (it was given 2 times)."}]


def test_runtime_id_in_capitals_finds_the_same_runtime(api):
    runtime_id = api.run().json()["workflowRuntimeId"]
    response = api.get(f"/api/v1/external/workflows/{runtime_id.upper()}")
    assert response.status_code == 200
    assert response.json()["id"] == runtime_id


def test_event_the_definition_cannot_process_is_422_and_the_case_shows_failed(api, demo_project):
    from tests.factories import DefinitionVersionFactory
    from tests.workflows.test_workflow_send_event import THROWING_GUARD

    DefinitionVersionFactory(definition__project=demo_project, definition__key="fragile", statechart=THROWING_GUARD)
    body = {"workflowId": "fragile", "context": {"entity": {"type": "business", "id": "f-1", "data": {"companyName": "F", "score": 5}}}}
    runtime_id = api.run(body).json()["workflowRuntimeId"]
    response = api.post(f"/api/v1/external/workflows/{runtime_id}/event", {"name": "check"})
    assert response.status_code == 422
    assert response.json()["statusCode"] == 422 and "marked failed" in response.json()["message"]
    assert api.get(f"/api/v1/external/workflows/{runtime_id}").json()["status"] == "failed"
    kinds = [row["type"] for row in api.get(f"/api/v1/external/workflows/{runtime_id}/history").json()["data"]]
    assert "workflow.failed" in kinds
    assert api.post(f"/api/v1/external/workflows/{runtime_id}/event", {"name": "reject"}).status_code == 409


@pytest.mark.parametrize("name, first, second", [("status", "active", "completed"), ("state", "a", "b"), ("entityId", "a", "b")])
def test_a_list_filter_given_twice_is_refused_with_its_name(api, name, first, second):
    response = api.client.get(f"/api/v1/external/workflows?{name}={first}&{name}={second}", headers=api.headers())
    assert response.status_code == 400
    assert response.json()["errors"] == [{"path": name, "message": "Give this filter once (it takes one value)."}]


def test_the_list_pages_by_cursor_through_every_row_in_order_with_three_queries(api, django_assert_num_queries):
    for i in range(5):
        start(api, f"c{i}")
    expected = [row["id"] for row in api.get(LIST_URL, {"limit": 100, "orderBy": "-updatedAt"}).json()["data"]]
    seen, body = [], api.get(LIST_URL, {"limit": 2, "orderBy": "-updatedAt"}).json()
    seen += [row["id"] for row in body["data"]]
    while body["meta"]["nextCursor"]:
        with django_assert_num_queries(3):  # key, count, rows
            body = api.get(LIST_URL, {"limit": 2, "orderBy": "-updatedAt", "cursor": body["meta"]["nextCursor"]}).json()
        assert body["meta"]["page"] is None and body["meta"]["total"] == 5
        seen += [row["id"] for row in body["data"]]
    assert seen == expected


def test_a_cursor_that_is_not_ours_or_for_another_order_is_refused(api):
    start(api, "d1")
    start(api, "d2")
    cursor = api.get(LIST_URL, {"limit": 1}).json()["meta"]["nextCursor"]
    assert api.get(LIST_URL, {"cursor": "garbage"}).status_code == 400
    assert api.get(LIST_URL, {"cursor": cursor, "orderBy": "state"}).status_code == 400
    assert api.get(LIST_URL, {"cursor": cursor, "page": 2}).status_code == 400


def test_a_cursor_is_refused_by_a_list_with_other_filters_and_goes_on_with_its_own(api):
    for n in range(3):
        start(api, f"f{n}")
    cursor = api.get(LIST_URL, {"limit": 1, "status": "active"}).json()["meta"]["nextCursor"]
    for other in ({}, {"status": "completed"}, {"status": "active", "state": "manual_review"}):
        response = api.get(LIST_URL, {"limit": 1, "cursor": cursor, **other})
        assert response.status_code == 400
        assert response.json()["errors"] == [
            {"path": "cursor", "message": "This cursor belongs to another order or filter; start again without it."}
        ]
    same = api.get(LIST_URL, {"limit": 5, "cursor": cursor, "status": "active"})  # another page size is the same list
    assert same.status_code == 200 and len(same.json()["data"]) == 2


def statements(queries) -> list[str]:
    """The SQL statements run, leaving out transaction control (which backends log differently)."""
    return [q["sql"].split()[0].upper() for q in queries if q["sql"].split()[0].upper() not in ("BEGIN", "COMMIT", "SAVEPOINT", "RELEASE")]


def test_a_run_and_an_event_cost_one_statement_per_row_they_read_or_write(api):
    """run: the key, the version, the entity (upsert), the runtime, its history row; event: the
    key, the locked runtime with everything the answer shows (taken at once: it has no parent
    to lock first), its update, its history row."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    api.get("/api/v1/external/workflow-definitions")  # the key's last-used stamp is written once a minute
    with CaptureQueriesContext(connection) as run_queries:
        runtime_id = start(api, "budget")
    with CaptureQueriesContext(connection) as event_queries:
        assert event(api, runtime_id, "revision").status_code == 200
    assert statements(run_queries.captured_queries) == ["SELECT", "SELECT", "INSERT", "INSERT", "INSERT"]
    assert statements(event_queries.captured_queries) == ["SELECT", "SELECT", "UPDATE", "INSERT"]
    assert HistoryEvent.objects.filter(runtime_id=runtime_id).count() == 2  # created, the transition


@pytest.mark.parametrize("assigned", [False, True])
def test_the_detail_and_event_answers_are_what_the_documented_serializer_gives(api, demo_project, assigned):
    from tests.factories import UserFactory
    from workflows.api.serializers import RuntimeDetailSerializer

    runtime_id = start(api, "same-shape")
    runtime = WorkflowRuntime.objects.get(pk=runtime_id)
    runtime.tags = ["b", "a"]
    if assigned:
        runtime.assignee = UserFactory(username="ops")
    runtime.save()
    for send in (lambda: api.get(f"{LIST_URL}/{runtime_id}"), lambda: event(api, runtime_id, "approve")):
        response = send()
        assert response.status_code == 200
        runtime = WorkflowRuntime.objects.select_related("definition", "definition_version", "entity", "assignee").get(pk=runtime_id)
        expected = json.loads(json.dumps(RuntimeDetailSerializer(runtime).data))
        assert response.json() == expected
    assert expected["resolvedAt"] and expected["nextEvents"] == [] and expected["status"] == "completed"
