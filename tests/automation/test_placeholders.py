"""Placeholders in a plugin's url, headers and body (SPEC section 10; automation/placeholders.py)."""

import pytest

from automation.placeholders import PlaceholderError, redact, resolve_request, shield, unshield

SECRETS = {"TOKEN": "tok-123", "API_KEY": "k/y z"}
BASE_URL = "https://cases.example.com"
INPUT = {
    "entity": {"id": "ent-1", "data": {"companyName": "Acme", "registrationNumber": "12/34", "employees": 12}},
    "ubos": [{"name": "Ann"}, {"name": "Bob"}],
    "workflowRuntimeId": "rt-1",
}


def resolve(url="https://api.vendor.com/v1", headers=None, body=None, plugin_input=INPUT, **options):
    options.setdefault("secrets", SECRETS)
    options.setdefault("public_base_url", BASE_URL)
    return resolve_request(url, headers or {}, body, plugin_input, **options)


def resolve_body(body, plugin_input=INPUT):
    """The body as prepare_request builds it: out of the shielded input."""
    return resolve(body=shield(body), plugin_input=plugin_input, body_shielded=True)


def problems(error):
    return [(problem.path, problem.message) for problem in error.value.problems]


# --- secrets and the public base URL ---------------------------------------------------------


def test_a_secret_placeholder_in_a_header_reads_the_projects_secrets():
    assert resolve(headers={"Authorization": "Bearer {secret.TOKEN}"}).headers == {"Authorization": "Bearer tok-123"}


def test_the_secrets_spelling_reads_the_same_secrets():
    assert resolve(headers={"X-Key": "{secrets.TOKEN}"}).headers == {"X-Key": "tok-123"}


def test_a_secret_is_never_read_from_the_servers_environment(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgres://admin:pw@db/prod")
    with pytest.raises(PlaceholderError) as caught:
        resolve(headers={"X": "{secret.DATABASE_URL}"}, secrets={})
    assert problems(caught) == [("headers.X", "{secret.DATABASE_URL}: the project has no secret named DATABASE_URL")]


def test_app_api_url_is_the_servers_public_base_url():
    assert resolve(headers={"X-Callback": "{secret.APP_API_URL}/hook"}).headers == {"X-Callback": f"{BASE_URL}/hook"}


def test_app_api_url_without_a_public_base_url_fails():
    with pytest.raises(PlaceholderError, match="PUBLIC_BASE_URL"):
        resolve(headers={"X-Callback": "{secret.APP_API_URL}"}, public_base_url="")


# --- the url ---------------------------------------------------------------------------------


def test_input_values_in_the_url_path_are_url_encoded_slash_included():
    resolved = resolve(url="https://api.vendor.com/companies/{entity.data.registrationNumber}/report")
    assert resolved.url == "https://api.vendor.com/companies/12%2F34/report"


def test_a_numeric_segment_indexes_an_array():
    assert resolve(url="https://api.vendor.com/people?name={ubos.1.name}").url == "https://api.vendor.com/people?name=Bob"


def test_a_secret_in_the_query_is_encoded_and_redacted():
    resolved = resolve(url="https://api.vendor.com/search?key={secret.API_KEY}")
    assert resolved.url == "https://api.vendor.com/search?key=k%2Fy%20z"
    assert resolved.redacted_url == "https://api.vendor.com/search?key=[secret API_KEY]"


@pytest.mark.parametrize(
    "url",
    [
        "https://{entity.id}.vendor.com/x",
        "{secret.APP_API_URL}/x",
        "https://user:{secret.TOKEN}@vendor.com/x",
        "{entity.data.website}",
    ],
)
def test_a_placeholder_in_the_scheme_or_host_is_refused(url):
    with pytest.raises(PlaceholderError) as caught:
        resolve(url=url)
    assert problems(caught)[0][0] == "url"
    assert "the scheme and host must be written out" in problems(caught)[0][1]


def test_url_options_are_read_before_the_input():
    resolved = resolve(
        url="https://api.vendor.com/{version}/companies/{entity.id}",
        url_options={"version": "v2", "entity": {"id": "from-options"}},
    )
    assert resolved.url == "https://api.vendor.com/v2/companies/from-options"


def test_url_options_never_provide_a_secret():
    with pytest.raises(PlaceholderError, match="no secret named OTHER"):
        resolve(url="https://api.vendor.com/?k={secret.OTHER}", url_options={"secret": {"OTHER": "x"}})


# --- headers ---------------------------------------------------------------------------------


def test_a_header_value_with_a_line_break_from_the_input_is_refused():
    with pytest.raises(PlaceholderError) as caught:
        resolve(headers={"X-Company": "{entity.name}"}, plugin_input={"entity": {"name": "Acme\r\nX-Evil: 1"}})
    assert problems(caught) == [("headers.X-Company", "the value has a line break or NUL once its placeholders are filled in")]


def test_a_value_put_into_a_header_is_not_scanned_again():
    resolved = resolve(headers={"X-Company": "{entity.name}"}, plugin_input={"entity": {"name": "{secret.TOKEN}"}})
    assert resolved.headers == {"X-Company": "{secret.TOKEN}"}


def test_a_number_is_written_as_javascript_writes_it():
    resolved = resolve(headers={"X-Count": "{n}", "X-Ratio": "{r}", "X-Flag": "{f}"}, plugin_input={"n": 12, "r": 1.0, "f": True})
    assert resolved.headers == {"X-Count": "12", "X-Ratio": "1", "X-Flag": "true"}


def test_an_object_put_into_text_is_written_as_json():
    assert resolve(headers={"X-Ids": "{ids}"}, plugin_input={"ids": [1, "a"]}).headers == {"X-Ids": '[1,"a"]'}


# --- unresolved placeholders -----------------------------------------------------------------


def test_every_unresolved_placeholder_is_named_in_one_error():
    with pytest.raises(PlaceholderError) as caught:
        resolve(
            url="https://api.vendor.com/{entity.data.vat}",
            headers={"Authorization": "Bearer {secret.MISSING}"},
            body={"callback": "{nope.path}", "ok": "{entity.id}"},
        )
    assert problems(caught) == [
        ("url", "{entity.data.vat}: the plugin input has no entity.data.vat"),
        ("headers.Authorization", "{secret.MISSING}: the project has no secret named MISSING"),
        ("body.callback", "{nope.path}: the plugin input has no nope.path"),
    ]


def test_a_null_value_where_text_is_needed_fails():
    with pytest.raises(PlaceholderError, match=r"\{entity.vat\}: the value is null"):
        resolve(url="https://api.vendor.com/vat/{entity.vat}", plugin_input={"entity": {"vat": None}})


def test_braces_that_are_not_a_placeholder_are_text():
    assert resolve(headers={"X-Json": '{"a": 1} and { }'}).headers == {"X-Json": '{"a": 1} and { }'}


# --- the body --------------------------------------------------------------------------------


def test_a_secret_in_the_body_fails_with_a_clear_message():
    with pytest.raises(PlaceholderError) as caught:
        resolve(body={"token": "{secret.TOKEN}"})
    [(path, message)] = problems(caught)
    assert path == "body.token"
    assert message.startswith("{secret.TOKEN}: a secret is never put in the request body")


def test_the_public_base_url_may_go_in_the_body():
    resolved = resolve(body={"callbackUrl": "{secret.APP_API_URL}/api/v1/external/workflows/{workflowRuntimeId}/hook/DONE"})
    assert resolved.body == {"callbackUrl": f"{BASE_URL}/api/v1/external/workflows/rt-1/hook/DONE"}


def test_a_body_string_that_is_exactly_one_placeholder_keeps_the_values_json_type():
    plugin_input = {"entity": {"data": {"employees": 12}}, "vat": None}
    resolved = resolve(body={"employees": "{entity.data.employees}", "entity": "{entity}", "vat": "{vat}"}, plugin_input=plugin_input)
    assert resolved.body == {"employees": 12, "entity": {"data": {"employees": 12}}, "vat": None}


def test_inside_a_longer_body_string_a_value_is_text():
    assert resolve(body={"note": "{entity.data.employees} staff"}).body == {"note": "12 staff"}


def test_only_top_level_body_strings_are_filled_in():
    body = {"nested": {"id": "{entity.id}"}, "list": ["{entity.id}"]}
    assert resolve(body=body).body == body


def test_a_context_value_that_looks_like_a_secret_placeholder_stays_that_text():
    plugin_input = {"entity": {"name": "{secret.TOKEN}"}}
    resolved = resolve_body({"companyName": plugin_input["entity"]["name"]}, plugin_input=plugin_input)
    assert resolved.body == {"companyName": "{secret.TOKEN}"}


def test_a_context_value_is_not_expanded_even_when_the_definition_wrote_the_same_placeholder():
    # The definition wrote {entity.id} in the callback; the company name merely contains it.
    plugin_input = {"entity": {"id": "ent-1", "name": "Evil {entity.id}"}}
    shielded_name = shield(plugin_input["entity"]["name"])
    body = {"companyName": shielded_name, "callbackUrl": "https://x/{entity.id}", "whole": shield("{entity.id}")}
    resolved = resolve(body=body, plugin_input=plugin_input, body_shielded=True)
    assert resolved.body == {"companyName": "Evil {entity.id}", "callbackUrl": "https://x/ent-1", "whole": "{entity.id}"}


# --- redaction and shielding -----------------------------------------------------------------


def test_the_redacted_copy_shows_each_secret_by_name():
    resolved = resolve(headers={"Authorization": "Bearer {secret.TOKEN}"})
    assert resolved.redacted_headers == {"Authorization": "Bearer [secret TOKEN]"}


def test_a_secret_value_that_reached_the_body_through_the_context_is_sent_but_redacted_in_the_copy():
    resolved = resolve(body={"note": "{entity.note}"}, plugin_input={"entity": {"note": "copied tok-123 here"}})
    assert resolved.body == {"note": "copied tok-123 here"}
    assert resolved.redacted_body == {"note": "copied [secret TOKEN] here"}


def test_redact_hides_the_longest_secret_first_in_nested_values():
    value = {"a": ["tok-123456", {"k/y z": "k%2Fy%20z"}]}
    assert redact(value, {"SHORT": "tok-123", "LONG": "tok-123456", "API_KEY": "k/y z"}) == {
        "a": ["[secret LONG]", {"[secret API_KEY]": "[secret API_KEY]"}]
    }


def test_shield_hides_every_brace_and_unshield_restores_the_text_exactly():
    value = {"{k}": ["a {b} c", "\ufdd0\ufdd2 kept"], "n": 1}
    shielded = shield(value)
    [key] = [key for key in shielded if key != "n"]
    strings = [key, *shielded[key]]
    assert not any("{" in text or "}" in text for text in strings)
    assert unshield(shielded) == value
