import pytest

from workflows.api.throttling import ApiKeyRateThrottle


@pytest.fixture
def low_rate(monkeypatch):
    monkeypatch.setattr(ApiKeyRateThrottle, "THROTTLE_RATES", {"api_key": "3/min"})


def test_requests_over_the_rate_get_429(api, low_rate):
    statuses = [api.get("/api/v1/external/workflows").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]


def test_throttled_response_has_the_error_shape_and_retry_after(api, low_rate):
    for _ in range(3):
        api.get("/api/v1/external/workflows")
    response = api.get("/api/v1/external/workflows")
    assert response.json()["statusCode"] == 429
    assert int(response["Retry-After"]) > 0


def test_throttle_is_counted_per_key(api, other_api, low_rate):
    for _ in range(3):
        api.get("/api/v1/external/workflows")
    assert other_api.get("/api/v1/external/workflows").status_code == 200


def test_openapi_schema_documents_the_run_endpoint_with_the_seed_example(anonymous):
    response = anonymous.get("/api/schema/", headers={"Accept": "application/json"})
    assert response.status_code == 200
    schema = response.json()
    operation = schema["paths"]["/api/v1/external/workflows/run"]["post"]
    examples = operation["requestBody"]["content"]["application/json"]["examples"]
    seed = next(iter(examples.values()))["value"]
    assert seed["workflowId"] == "till_basic_kyb_demo"
    assert {"200", "201", "400", "401", "404", "413", "415", "422"} <= set(operation["responses"])


def test_swagger_ui_is_served_without_a_cdn(anonymous):
    response = anonymous.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "swagger-ui" in html
    assert "cdn.jsdelivr" not in html and "unpkg.com" not in html
