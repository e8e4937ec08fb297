"""An api plugin's request, its response and what is persisted (SPEC section 10;
automation/requests.py), checked against Ballerine's api-plugin.ts and workflow-runner.ts."""

import copy
import hashlib
import hmac
import json

import pytest

from automation.requests import (
    PersistError,
    PlaceholderError,
    PluginRequestError,
    RequestError,
    ResponseError,
    SchemaMismatch,
    TransformError,
    persist,
    persist_error,
    plugin_input,
    prepare_request,
    read_response,
)

SECRETS = {"VENDOR_TOKEN": "tok-secret-1"}
BASE_URL = "https://cases.example.com"
CONTEXT = {
    "entity": {"id": "ent-1", "data": {"companyName": "Zürich AG", "registrationNumber": "CHE-1", "country": "CH"}},
    "documents": [],
}


def clock():
    return 1_700_000_000_000


def registry_plugin(**overrides):
    plugin = {
        "name": "registry",
        "pluginKind": "api",
        "stateNames": ["checking"],
        "url": "https://api.vendor.com/v1/companies/{entity.data.registrationNumber}",
        "headers": {"Authorization": "Bearer {secret.VENDOR_TOKEN}"},
        "request": {
            "transform": [
                {
                    "transformer": "jmespath",
                    "mapping": "{name: entity.data.companyName, country: entity.data.country, "
                    "callbackUrl: join('', ['{secret.APP_API_URL}/api/v1/external/workflows/', workflowRuntimeId, '/hook/DONE'])}",
                }
            ]
        },
        "successAction": "REGISTRY_DONE",
        "errorAction": "REGISTRY_FAILED",
    }
    plugin.update(overrides)
    return plugin


def prepare(plugin=None, context=CONTEXT, **options):
    options.setdefault("secrets", SECRETS)
    options.setdefault("public_base_url", BASE_URL)
    options.setdefault("now_ms", clock)
    return prepare_request(plugin or registry_plugin(), plugin_input(context, "rt-1", {"tier": "gold"}), **options)


# --- the input -------------------------------------------------------------------------------


def test_a_plugins_input_is_the_context_with_the_runtime_id_and_config():
    assert plugin_input({"a": 1}, "rt-1", {"tier": "gold"}) == {
        "a": 1,
        "workflowRuntimeConfig": {"tier": "gold"},
        "workflowRuntimeId": "rt-1",
    }


def test_the_plugin_input_is_a_copy_of_the_context():
    context = {"entity": {"id": "x"}}
    made = plugin_input(context, "rt-1", {})
    made["entity"]["id"] = "changed"
    assert context == {"entity": {"id": "x"}}


# --- the request -----------------------------------------------------------------------------


def test_a_plugin_with_a_request_transform_posts_its_body_by_default():
    request = prepare()
    assert request.method == "POST"
    assert request.url == "https://api.vendor.com/v1/companies/CHE-1"
    assert request.payload == {
        "name": "Zürich AG",
        "country": "CH",
        "callbackUrl": "https://cases.example.com/api/v1/external/workflows/rt-1/hook/DONE",
    }


def test_the_body_is_compact_utf8_json_of_the_payload():
    request = prepare()
    assert request.body == json.dumps(request.payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    assert "Zürich".encode("utf-8") in request.body


def test_the_body_is_written_as_javascripts_json_stringify_writes_it():
    plugin = registry_plugin(request={"transform": [{"transformer": "jmespath", "mapping": "{b: `1.0`, \"2\": 'two'}"}]})
    assert prepare(plugin).body == b'{"2":"two","b":1}'


def test_a_body_gets_json_content_type_and_accept_headers():
    assert prepare().headers == {
        "Accept": "application/json",
        "Content-Type": "application/json",
        "Authorization": "Bearer tok-secret-1",
    }


def test_a_declared_header_replaces_a_default_whatever_its_case():
    plugin = registry_plugin(headers={"content-type": "application/vnd.vendor+json"})
    assert prepare(plugin).headers == {"Accept": "application/json", "content-type": "application/vnd.vendor+json"}


def test_a_plugin_without_a_request_transform_sends_no_body_with_get():
    plugin = registry_plugin()
    del plugin["request"]
    request = prepare(plugin)
    assert (request.method, request.body, request.payload) == ("GET", None, None)
    assert "Content-Type" not in request.headers


def test_an_empty_transform_list_sends_the_whole_input_as_ballerine_does():
    plugin = registry_plugin(request={"transform": []})
    assert prepare(plugin).payload == plugin_input(CONTEXT, "rt-1", {"tier": "gold"})


def test_a_get_sends_its_payload_as_the_query_string():
    plugin = registry_plugin(method="GET", url="https://api.vendor.com/search?v=2")
    request = prepare(plugin)
    assert request.body is None
    assert request.url == (
        "https://api.vendor.com/search?v=2&name=Z%C3%BCrich+AG&country=CH"
        "&callbackUrl=https%3A%2F%2Fcases.example.com%2Fapi%2Fv1%2Fexternal%2Fworkflows%2Frt-1%2Fhook%2FDONE"
    )


def test_top_level_nulls_are_dropped_from_the_body():
    plugin = registry_plugin(request={"transform": [{"transformer": "jmespath", "mapping": "{vat: entity.data.vat, id: entity.id}"}]})
    assert prepare(plugin).payload == {"id": "ent-1"}


def test_a_request_transform_that_gives_an_array_fails():
    plugin = registry_plugin(request={"transform": [{"transformer": "jmespath", "mapping": "documents"}]})
    with pytest.raises(TransformError, match="must give an object"):
        prepare(plugin)


def test_a_url_object_fills_the_url_from_its_options():
    plugin = registry_plugin(url={"url": "https://api.vendor.com/{version}/companies/{entity.id}", "options": {"version": "v3"}})
    assert prepare(plugin).url == "https://api.vendor.com/v3/companies/ent-1"


def test_a_webhook_plugin_signs_the_exact_body_bytes_with_the_webhook_secret():
    request = prepare(registry_plugin(pluginKind="webhook"), webhook_secret="whsec")
    expected = hmac.new(b"whsec", request.body, hashlib.sha256).hexdigest()
    assert request.headers["X-HMAC-Signature"] == expected


def test_a_webhook_plugin_without_a_webhook_secret_fails():
    with pytest.raises(RequestError, match="webhook secret"):
        prepare(registry_plugin(pluginKind="webhook"))


def test_the_redacted_request_shows_secrets_by_name():
    redacted = prepare().redacted
    assert redacted["method"] == "POST"
    assert redacted["url"] == "https://api.vendor.com/v1/companies/CHE-1"
    assert redacted["headers"]["Authorization"] == "Bearer [secret VENDOR_TOKEN]"
    assert redacted["body"]["name"] == "Zürich AG"
    assert "tok-secret-1" not in json.dumps(redacted)


def test_a_context_value_shaped_like_a_secret_placeholder_is_sent_as_text():
    context = copy.deepcopy(CONTEXT)
    context["entity"]["data"]["companyName"] = "{secret.VENDOR_TOKEN}"
    assert prepare(context=context).payload["name"] == "{secret.VENDOR_TOKEN}"


def test_a_secret_written_in_the_body_fails_the_run():
    plugin = registry_plugin(request={"transform": [{"transformer": "jmespath", "mapping": "{key: '{secret.VENDOR_TOKEN}'}"}]})
    with pytest.raises(PlaceholderError, match="a secret is never put in the request body"):
        prepare(plugin)


def test_an_unresolved_placeholder_in_the_url_fails_the_run():
    with pytest.raises(PlaceholderError, match="the plugin input has no entity.data.registrationNumber"):
        prepare(context={"entity": {"data": {}}})


# --- schemas ---------------------------------------------------------------------------------


def test_a_request_schema_mismatch_lists_every_path():
    schema = {
        "type": "object",
        "required": ["registrationNumber"],
        "properties": {"country": {"enum": ["GB"]}, "name": {"type": "string", "maxLength": 3}},
    }
    plugin = registry_plugin(request={**registry_plugin()["request"], "schema": schema})
    with pytest.raises(SchemaMismatch) as caught:
        prepare(plugin)
    assert [(problem.path, problem.message) for problem in caught.value.problems] == [
        ("request", "'registrationNumber' is a required property"),
        ("request.country", "'CH' is not one of ['GB']"),
        ("request.name", "'Zürich AG' is too long"),
    ]


def test_the_request_schema_sees_the_body_before_its_placeholders_are_filled_in():
    schema = {"properties": {"callbackUrl": {"pattern": "^\\{secret\\.APP_API_URL\\}"}}}
    plugin = registry_plugin(request={**registry_plugin()["request"], "schema": schema})
    assert prepare(plugin).payload["callbackUrl"].startswith(BASE_URL)


def test_a_response_schema_mismatch_lists_every_path():
    schema = {"type": "object", "properties": {"score": {"type": "number"}, "items": {"items": {"type": "string"}}}}
    with pytest.raises(SchemaMismatch) as caught:
        read_response({"response": {"schema": schema}}, 200, b'{"score": "high", "items": ["a", 2, 3]}', "application/json")
    assert [problem.path for problem in caught.value.problems] == ["response.items[1]", "response.items[2]", "response.score"]


# --- the response ----------------------------------------------------------------------------


def test_a_json_response_is_kept_with_its_invocation_time():
    assert read_response({}, 200, b'{"score": 7}', "application/json", now_ms=clock) == {"score": 7, "invokedAt": clock()}


@pytest.mark.parametrize("status", [202, 204])
def test_202_and_204_give_their_status_code_whatever_the_body(status):
    assert read_response({}, status, b"ignored", None, now_ms=clock) == {"statusCode": status, "invokedAt": clock()}


def test_an_empty_2xx_body_gives_the_status_code():
    assert read_response({}, 201, b"  \n", "application/json", now_ms=clock) == {"statusCode": 201, "invokedAt": clock()}


def test_an_invalid_json_response_fails_naming_its_content_type():
    with pytest.raises(ResponseError, match=r"not JSON \(Content-Type: text/html\)"):
        read_response({}, 200, b"<html>oops</html>", "text/html")


def test_nan_is_not_json():
    with pytest.raises(ResponseError):
        read_response({}, 200, b'{"score": NaN}', "application/json")


def test_a_byte_order_mark_is_ignored():
    assert read_response({}, 200, b'\xef\xbb\xbf{"a": 1}', "application/json", now_ms=clock)["a"] == 1


def test_the_response_transform_is_applied_and_top_level_nulls_dropped():
    plugin = {"response": {"transform": [{"transformer": "jmespath", "mapping": "{score: data.score, vat: data.vat}"}]}}
    assert read_response(plugin, 200, b'{"data": {"score": 9}}', "application/json", now_ms=clock) == {"score": 9, "invokedAt": clock()}


def test_an_array_response_stays_an_array():
    assert read_response({}, 200, b'[{"id": 1}]', "application/json") == [{"id": 1}]


def test_a_scalar_response_fails():
    with pytest.raises(ResponseError, match="the response is string, not an object or an array"):
        read_response({}, 200, b'"ok"', "application/json")


# --- persistence -----------------------------------------------------------------------------


def test_success_deep_merges_the_output_at_plugins_output_with_arrays_replaced():
    context = {"pluginsOutput": {"registry": {"old": 1, "list": [1, 2], "nested": {"a": 1}}}}
    new = persist(context, registry_plugin(), {"list": [3], "nested": {"b": 2}}, None)
    assert new["pluginsOutput"]["registry"] == {"old": 1, "list": [3], "nested": {"a": 1, "b": 2}}


def test_success_merges_at_the_persist_response_destination_creating_its_path():
    plugin = registry_plugin(persistResponseDestination="entity.data.registry")
    new = persist(CONTEXT, plugin, {"found": True}, None)
    assert new["entity"]["data"]["registry"] == {"found": True}
    assert "registry" not in new.get("pluginsOutput", {})


def test_success_records_the_redacted_request_payload_in_plugins_input():
    new = persist({}, registry_plugin(), {"ok": True}, {"name": "Acme"})
    assert new["pluginsInput"] == {"registry": {"requestPayload": {"name": "Acme"}, "status": "SUCCESS"}}


def test_persisting_leaves_the_given_context_unchanged():
    context = copy.deepcopy(CONTEXT)
    persist(context, registry_plugin(), {"ok": True}, {"a": 1})
    persist_error(context, registry_plugin(), "boom")
    assert context == CONTEXT


def test_a_success_clears_the_error_an_earlier_run_left():
    failed = persist_error({}, registry_plugin(), "timeout")
    assert persist(failed, registry_plugin(), {"ok": True}, None)["pluginsOutput"]["registry"] == {"ok": True}


def test_a_destination_through_a_string_fails():
    plugin = registry_plugin(persistResponseDestination="entity.data.companyName.registry")
    with pytest.raises(PersistError, match="entity.data.companyName is string"):
        persist(CONTEXT, plugin, {"found": True}, None)


def test_a_failure_records_name_error_and_status_in_plugins_output():
    new = persist_error({"pluginsOutput": {"registry": {"stale": 1}}}, registry_plugin(), "HTTP 500")
    assert new["pluginsOutput"]["registry"] == {"name": "registry", "error": "HTTP 500", "status": "ERROR"}


def test_a_failure_records_the_error_in_plugins_input_as_ballerine_does():
    new = persist_error({}, registry_plugin(), "HTTP 500", request_payload_redacted={"name": "Acme"})
    assert new["pluginsInput"]["registry"] == {"requestPayload": {"name": "Acme"}, "error": "HTTP 500", "status": "ERROR"}


def test_a_failure_replaces_a_plugins_output_that_is_not_an_object():
    assert persist_error({"pluginsOutput": "junk"}, registry_plugin(), "x")["pluginsOutput"] == {
        "registry": {"name": "registry", "error": "x", "status": "ERROR"}
    }


@pytest.mark.parametrize("error", [TransformError, PlaceholderError, SchemaMismatch, ResponseError, RequestError, PersistError])
def test_every_failure_of_a_run_is_a_plugin_request_error(error):
    assert issubclass(error, PluginRequestError)


def test_a_success_elsewhere_also_clears_the_error_an_earlier_run_left():
    failed = persist_error({}, registry_plugin(), "timeout")
    plugin = registry_plugin(persistResponseDestination="entity.registry")
    assert "registry" not in persist(failed, plugin, {"ok": True}, None)["pluginsOutput"]
