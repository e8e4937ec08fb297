"""The OpenAPI schema and Swagger UI. The rate limit tests are in test_throttling.py."""


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
