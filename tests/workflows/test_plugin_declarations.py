"""Plugin declarations in a version's `extensions` (SPEC sections 10 and 12): validated on every
save path, each problem with its path."""

import copy
import io
import json

import pytest
from django.core.management import CommandError, call_command

from workflows.engine.plugins import HOSTED_KIND_MESSAGE, plugin_declaration_problems
from workflows.errors import ValidationFailed
from workflows.models import WorkflowDefinition, WorkflowDefinitionVersion
from workflows.definitions import definition_save

from .ballerine_extensions import (
    ASSOCIATED_COMPANIES_EXTENSIONS,
    ASSOCIATED_COMPANIES_STATECHART,
    PARENT_KYB_STATECHART,
    parent_kyb_extensions,
    parent_kyb_extensions_as_written,
)

STATECHART = {
    "initial": "registry_check",
    "states": {
        "registry_check": {"on": {"REGISTRY_DONE": "review", "REGISTRY_FAILED": "review"}},
        "review": {"on": {"approve": "approved"}},
        "approved": {"type": "final"},
    },
}


def api_plugin(**changes):
    plugin = {
        "name": "registry",
        "pluginKind": "api",
        "displayName": "Company registry",
        "stateNames": ["registry_check"],
        "url": "https://registry.example.com/companies/{entity.data.registrationNumber}?key={secret.REGISTRY_KEY}",
        "method": "GET",
        "headers": {"Authorization": "Bearer {secret.REGISTRY_TOKEN}"},
        "request": {
            "transform": [{"transformer": "jmespath", "mapping": "{number: entity.data.registrationNumber}"}],
            "schema": {"type": "object", "required": ["number"]},
        },
        "response": {"transform": [{"transformer": "jmespath", "mapping": "@"}], "schema": {"type": "object"}},
        "successAction": "REGISTRY_DONE",
        "errorAction": "REGISTRY_FAILED",
        "persistResponseDestination": "pluginsOutput.registry",
    }
    plugin.update(changes)
    return {key: value for key, value in plugin.items() if value is not None}


def problems(extensions, statechart=STATECHART):
    return [(p.path, p.message) for p in plugin_declaration_problems(extensions, statechart)]


def api_problems(**changes):
    return problems({"apiPlugins": [api_plugin(**changes)]})


def helper_plugin(*helpers):
    return {
        "name": "tidy",
        "pluginKind": "transformer",
        "stateNames": ["review"],
        "transformers": [{"transformer": "helpers", "mapping": list(helpers)}],
    }


# --- accepted ------------------------------------------------------------------------------


def test_an_api_plugin_with_every_documented_field_is_accepted():
    assert api_problems() == []


def test_the_api_plugins_of_a_real_ballerine_definition_are_accepted_once_their_urls_are_written_out():
    extensions = {"apiPlugins": parent_kyb_extensions()["apiPlugins"]}
    assert problems(extensions, PARENT_KYB_STATECHART) == []


def test_a_real_ballerine_definition_with_a_child_plugin_is_accepted():
    assert problems(parent_kyb_extensions(), PARENT_KYB_STATECHART) == []


def test_a_url_given_as_url_and_options_is_accepted():
    assert api_problems(url={"url": "https://registry.example.com/companies", "options": {}}) == []


def test_a_webhook_plugin_without_actions_is_accepted_as_fire_and_forget():
    plugin = api_plugin(pluginKind="webhook", successAction=None, errorAction=None, method="POST")
    assert problems({"apiPlugins": [plugin]}) == []


def test_an_api_plugin_without_a_plugin_kind_is_accepted_as_an_api_plugin():
    assert api_problems(pluginKind=None) == []


def test_a_ballerine_kind_that_carries_its_own_url_is_accepted_as_an_api_plugin():
    assert api_problems(pluginKind="kyc") == []


def test_an_iterative_plugin_over_an_api_plugin_without_state_names_is_accepted():
    extensions = {
        "apiPlugins": [api_plugin(stateNames=None, successAction=None, errorAction=None)],
        "commonPlugins": [
            {
                "pluginKind": "iterative",
                "name": "each_ubo",
                "displayName": "Each UBO",
                "actionPluginName": "registry",
                "stateNames": ["registry_check"],
                "iterateOn": [{"transformer": "jmespath", "mapping": "entity.data.additionalInfo.ubos"}],
                "successAction": "REGISTRY_DONE",
                "errorAction": "REGISTRY_FAILED",
            }
        ],
    }
    assert problems(extensions) == []


def test_a_transformer_plugin_with_each_helper_is_accepted():
    plugin = helper_plugin(
        {"source": "entity.data.taxId", "target": "entity.data.taxId", "method": "regex", "value": "[0-9]+"},
        {"source": "entity.data.draft", "target": "entity.data.draft", "method": "remove"},
        {"source": "entity.data", "target": "entity.data", "method": "omit", "value": ["workflowRuntimeId"]},
        {"source": "entity.data.checkedAt", "target": "entity.data.checkedAt", "method": "setTimeToRecordUTC"},
        {
            "source": "entity.data.ubos",
            "target": "entity.data.ubos",
            "method": "mergeArrayEachItemWithValue",
            "options": {"mapJmespath": "entity.data.ubos", "mergeWithJmespath": "{country: entity.data.country}"},
        },
    )
    assert problems({"commonPlugins": [plugin]}) == []


def test_extensions_without_plugin_lists_have_no_problems():
    assert problems({"somethingElse": {"kept": True}}) == []


# --- refused: api plugins ------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["ubo", "registry-information", "template-email", "kyc-session", "individual-sanctions"])
def test_a_hosted_kind_without_a_url_is_refused_saying_to_declare_an_api_plugin_with_the_vendors_url(kind):
    assert api_problems(pluginKind=kind, url=None) == [
        ("extensions.apiPlugins[0].pluginKind", HOSTED_KIND_MESSAGE.format(kind=kind))
    ]
    assert "Declare an 'api' plugin with the vendor's URL instead." in HOSTED_KIND_MESSAGE


def test_the_hosted_kinds_of_a_real_ballerine_definition_are_each_refused_with_the_spec_message():
    refused = problems(ASSOCIATED_COMPANIES_EXTENSIONS, ASSOCIATED_COMPANIES_STATECHART)
    assert refused[:3] == [
        ("extensions.apiPlugins[0].pluginKind", HOSTED_KIND_MESSAGE.format(kind="template-email")),
        ("extensions.apiPlugins[1].pluginKind", HOSTED_KIND_MESSAGE.format(kind="registry-information")),
        ("extensions.apiPlugins[2].pluginKind", HOSTED_KIND_MESSAGE.format(kind="ubo")),
    ]


def test_an_api_plugin_without_a_url_is_refused_at_its_url():
    assert api_problems(url=None) == [("extensions.apiPlugins[0].url", "This field is required.")]


def test_a_state_name_that_does_not_exist_is_refused_with_its_index():
    assert api_problems(stateNames=["registry_check", "registy_check"]) == [
        ("extensions.apiPlugins[0].stateNames[1]", "No state is named 'registy_check'.")
    ]


def test_a_success_action_the_listed_state_does_not_handle_is_refused():
    assert api_problems(successAction="DONE") == [
        ("extensions.apiPlugins[0].successAction", "The state 'registry_check' does not handle the event 'DONE'.")
    ]


def test_an_error_action_is_checked_against_each_listed_state():
    assert api_problems(stateNames=["registry_check", "review"]) == [
        ("extensions.apiPlugins[0].successAction", "The state 'review' does not handle the event 'REGISTRY_DONE'."),
        ("extensions.apiPlugins[0].errorAction", "The state 'review' does not handle the event 'REGISTRY_FAILED'."),
    ]


def test_an_api_plugin_without_state_names_that_no_iterative_plugin_runs_is_refused():
    [(path, message)] = api_problems(stateNames=None)
    assert path == "extensions.apiPlugins[0].stateNames"
    assert message.startswith("This field is required")


def test_a_url_whose_host_is_a_secret_is_refused():
    assert api_problems(url="{secret.UNIFIED_API_URL}/companies") == [
        (
            "extensions.apiPlugins[0].url",
            "The scheme and host must be written out, as in 'https://api.vendor.com/...' "
            "(placeholders such as {secret.X} only in the path and query).",
        )
    ]


def test_a_url_with_a_placeholder_in_its_host_is_refused():
    [(path, message)] = api_problems(url="https://{secret.TENANT}.vendor.com/check")
    assert path == "extensions.apiPlugins[0].url"
    assert message.startswith("The host must be written out")


def test_a_url_starting_with_the_public_base_url_is_refused_as_it_is_for_callback_urls_in_the_body():
    assert api_problems(url="{secret.APP_API_URL}/api/v1/external/workflows") == [
        (
            "extensions.apiPlugins[0].url",
            "{secret.APP_API_URL} is for callback URLs in the request body, not a plugin's url: "
            "the scheme and host of a url are written out (placeholders only in the path and query).",
        )
    ]


def test_a_url_in_an_object_is_reported_at_its_inner_path():
    [(path, _)] = api_problems(url={"url": "{secret.BASE}/x"})
    assert path == "extensions.apiPlugins[0].url.url"


def test_a_malformed_placeholder_in_the_path_is_refused():
    [(path, message)] = api_problems(url="https://registry.example.com/{entity data}")
    assert path == "extensions.apiPlugins[0].url"
    assert "'{entity data}'" in message


def test_the_literal_scheme_and_host_are_checked_as_a_url(db):
    from outbound.targets import url_shape_problem

    plugin = api_plugin(url="ftp://registry.example.com/{secret.X}")
    [problem] = plugin_declaration_problems({"apiPlugins": [plugin]}, STATECHART, url_check=url_shape_problem)
    assert problem.path == "extensions.apiPlugins[0].url"
    assert problem.message == url_shape_problem("ftp://registry.example.com/")


def test_a_private_vendor_address_is_saved_and_refused_when_sent(db, settings):
    """Where a target may point depends on where the definition runs (the setting, the
    project's allow-list): it is checked on every request, not when the definition is saved."""
    from workflows.validation import definition_errors

    settings.OUTBOUND_ALLOW_PRIVATE_TARGETS = False
    plugin = api_plugin(url="http://127.0.0.1:8000/internal/{secret.X}")
    assert definition_errors(statechart=STATECHART, context_schema={}, config={}, extensions={"apiPlugins": [plugin]}) == []


def test_an_unknown_http_method_is_refused():
    assert api_problems(method="FETCH") == [
        ("extensions.apiPlugins[0].method", "Must be one of: 'GET', 'POST', 'PUT', 'PATCH', 'DELETE'.")
    ]


def test_an_unknown_key_is_refused_naming_the_keys_an_api_plugin_takes():
    [(path, message)] = api_problems(vendor="asia-verify")
    assert path == "extensions.apiPlugins[0].vendor"
    assert message.startswith("Unknown key 'vendor'; an api plugin takes: 'name', 'pluginKind', 'displayName'")


def test_a_jmespath_transform_that_does_not_compile_is_refused_at_its_mapping():
    [(path, message)] = api_problems(request={"transform": [{"transformer": "jmespath", "mapping": "{a: }"}]})
    assert path == "extensions.apiPlugins[0].request.transform[0].mapping"
    assert message.startswith("jmespath expression does not compile")


def test_a_jmespath_transform_with_an_unknown_function_is_refused():
    assert api_problems(response={"transform": [{"transformer": "jmespath", "mapping": "upper(name)"}]}) == [
        ("extensions.apiPlugins[0].response.transform[0].mapping", "unknown jmespath function upper()")
    ]


def test_a_jmespath_transform_that_jmespath_js_parses_differently_is_refused():
    [(path, _)] = api_problems(request={"transform": [{"transformer": "jmespath", "mapping": "length(@.a)"}]})
    assert path == "extensions.apiPlugins[0].request.transform[0].mapping"


def test_an_unknown_transformer_is_refused():
    assert api_problems(request={"transform": [{"transformer": "qj", "mapping": "x"}]}) == [
        ("extensions.apiPlugins[0].request.transform[0].transformer", "Must be 'jmespath' or 'helper'.")
    ]


def test_a_request_schema_that_is_not_a_json_schema_is_refused_with_its_path():
    [(path, message)] = api_problems(request={"schema": {"type": "banana"}})
    assert path == "extensions.apiPlugins[0].request.schema.type"
    assert "banana" in message


def test_a_header_value_that_is_not_a_string_is_refused():
    assert api_problems(headers={"X-Retries": 3}) == [("extensions.apiPlugins[0].headers.X-Retries", "Must be a string.")]


def test_two_plugins_with_one_name_are_refused_at_the_second():
    extensions = {"apiPlugins": [api_plugin(), api_plugin()]}
    assert problems(extensions) == [
        (
            "extensions.apiPlugins[1].name",
            "Another plugin is already named 'registry' (extensions.apiPlugins[0]); plugin names must be unique.",
        )
    ]


def test_a_plugin_list_that_is_not_a_list_is_refused():
    assert problems({"apiPlugins": {"name": "registry"}}) == [
        ("extensions.apiPlugins", "Must be a list of plugin declarations.")
    ]


# --- refused: common, child and dispatch plugins -------------------------------------------


def test_an_unknown_common_plugin_kind_is_refused_naming_the_kinds_we_run():
    refused = problems(ASSOCIATED_COMPANIES_EXTENSIONS, ASSOCIATED_COMPANIES_STATECHART)
    assert (
        "extensions.commonPlugins[0].pluginKind",
        "Unknown plugin kind 'riskRules': the common plugins this server runs are 'iterative', 'transformer'.",
    ) in refused


def test_an_iterative_plugin_naming_no_api_or_child_plugin_is_refused():
    plugin = {
        "pluginKind": "iterative",
        "name": "each",
        "actionPluginName": "registy",
        "stateNames": ["registry_check"],
        "iterateOn": [{"transformer": "jmespath", "mapping": "entity.data.ubos"}],
    }
    assert problems({"apiPlugins": [api_plugin()], "commonPlugins": [plugin]}) == [
        (
            "extensions.commonPlugins[0].actionPluginName",
            "No api or child plugin is named 'registy': actionPluginName must name a plugin of "
            "extensions.apiPlugins or extensions.childWorkflowPlugins.",
        )
    ]


def test_an_action_plugin_name_that_is_not_a_string_is_refused_at_its_path():
    plugin = {"pluginKind": "iterative", "name": "each", "actionPluginName": ["registry"], "stateNames": ["review"], "iterateOn": []}
    assert problems({"commonPlugins": [plugin]}) == [
        ("extensions.commonPlugins[0].actionPluginName", "This field is required (the name of an api or child plugin).")
    ]


def test_an_iterative_plugin_without_iterate_on_is_refused():
    plugin = {"pluginKind": "iterative", "name": "each", "actionPluginName": "registry", "stateNames": ["review"]}
    [(path, _)] = problems({"apiPlugins": [api_plugin()], "commonPlugins": [plugin]})
    assert path == "extensions.commonPlugins[0].iterateOn"


def test_a_transformer_plugin_spelling_its_transformer_helper_is_told_to_spell_it_helpers():
    plugin = helper_plugin({"source": "a", "target": "a", "method": "remove"})
    plugin["transformers"][0]["transformer"] = "helper"
    assert problems({"commonPlugins": [plugin]}) == [
        (
            "extensions.commonPlugins[0].transformers[0].transformer",
            "A transformer plugin takes only 'helpers' transformers (spelled 'helpers' here, as in Ballerine).",
        )
    ]


def test_a_helper_method_we_do_not_run_is_refused_naming_the_helpers_we_run():
    plugin = helper_plugin({"source": "entity.data.logo", "target": "entity.data.logo", "method": "imageUrlToBase64"})
    assert problems({"commonPlugins": [plugin]}) == [
        (
            "extensions.commonPlugins[0].transformers[0].mapping[0].method",
            "Unknown helper method 'imageUrlToBase64': the helpers this server runs are 'regex', 'remove', "
            "'omit', 'setTimeToRecordUTC', 'mergeArrayEachItemWithValue'.",
        )
    ]


def test_a_regex_helper_that_does_not_compile_is_refused_at_its_value():
    plugin = helper_plugin({"source": "a", "target": "a", "method": "regex", "value": "([0-9]"})
    [(path, message)] = problems({"commonPlugins": [plugin]})
    assert path == "extensions.commonPlugins[0].transformers[0].mapping[0].value"
    assert message.startswith("The regular expression does not compile")


def test_a_merge_helper_whose_jmespath_does_not_compile_is_refused_at_the_option():
    plugin = helper_plugin(
        {
            "source": "a",
            "target": "a",
            "method": "mergeArrayEachItemWithValue",
            "options": {"mapJmespath": "a", "mergeWithJmespath": "{x: }"},
        }
    )
    [(path, _)] = problems({"commonPlugins": [plugin]})
    assert path == "extensions.commonPlugins[0].transformers[0].mapping[0].options.mergeWithJmespath"


def test_a_child_plugin_with_a_definition_id_and_an_init_event_is_accepted():
    plugin = {"pluginKind": "child", "name": "kyc", "definitionId": "kyc", "initEvent": "start"}
    assert problems({"childWorkflowPlugins": [plugin]}) == []


def test_a_child_plugin_without_a_definition_id_is_refused_at_its_definition_id():
    plugin = {"pluginKind": "child", "name": "kyc"}
    assert problems({"childWorkflowPlugins": [plugin]})[0] == (
        "extensions.childWorkflowPlugins[0].definitionId",
        "This field is required (the key of a definition of the project).",
    )


def test_a_dispatch_plugin_naming_an_unregistered_handler_is_refused():
    plugin = {"name": "notify", "eventName": "SEND_SMS", "stateNames": ["review"]}
    assert problems({"dispatchEventPlugins": [plugin]}) == [
        (
            "extensions.dispatchEventPlugins[0].eventName",
            "No handler is registered as 'SEND_SMS'; the registered handlers are 'ENTITIES_UPDATE'.",
        )
    ]


def test_a_dispatch_plugin_calling_entities_update_is_accepted():
    refused = problems(ASSOCIATED_COMPANIES_EXTENSIONS, ASSOCIATED_COMPANIES_STATECHART)
    assert not [path for path, _ in refused if path.startswith("extensions.dispatchEventPlugins")]


def test_the_rest_of_a_real_ballerine_definition_has_no_other_problem():
    refused = problems(ASSOCIATED_COMPANIES_EXTENSIONS, ASSOCIATED_COMPANIES_STATECHART)
    assert [path for path, _ in refused] == [
        "extensions.apiPlugins[0].pluginKind",
        "extensions.apiPlugins[1].pluginKind",
        "extensions.apiPlugins[2].pluginKind",
        "extensions.commonPlugins[0].pluginKind",
    ]


# --- the save paths ------------------------------------------------------------------------


def test_definition_save_refuses_a_bad_declaration_with_its_path_and_writes_nothing(project):
    with pytest.raises(ValidationFailed) as raised:
        definition_save(
            project=project,
            key="kyb",
            statechart=STATECHART,
            extensions={"apiPlugins": [api_plugin(stateNames=["nowhere"])]},
        )
    assert [(e.path, e.message) for e in raised.value.errors] == [
        ("extensions.apiPlugins[0].stateNames[0]", "No state is named 'nowhere'.")
    ]
    assert not WorkflowDefinition.objects.exists()


def test_definition_save_stores_a_valid_declaration(project):
    extensions = {"apiPlugins": [api_plugin()]}
    assert definition_save(project=project, key="kyb", statechart=STATECHART, extensions=extensions).version.extensions == extensions


def test_load_definitions_refuses_a_file_with_a_hosted_kind_naming_its_path_and_writes_nothing(project, tmp_path):
    extensions = copy.deepcopy(parent_kyb_extensions_as_written())
    del extensions["childWorkflowPlugins"], extensions["commonPlugins"]
    extensions["apiPlugins"][0] = {**extensions["apiPlugins"][0], "pluginKind": "ubo"}
    del extensions["apiPlugins"][0]["url"]
    path = tmp_path / "kyb.json"
    path.write_text(json.dumps({"key": "kyb", "statechart": PARENT_KYB_STATECHART, "extensions": extensions}))
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command("load_definitions", str(path), "--project", "acme", stdout=io.StringIO(), stderr=err)
    assert "extensions.apiPlugins[0].pluginKind" in err.getvalue()
    assert "Declare an 'api' plugin with the vendor's URL instead." in err.getvalue()
    assert "extensions.apiPlugins[1].url" in err.getvalue()  # `{secret.EMAIL_API_URL}` as written
    assert WorkflowDefinitionVersion.objects.count() == 0
