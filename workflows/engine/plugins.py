"""Plugin declarations in a version's `extensions` (SPEC sections 10 and 12): every problem,
with its path (`extensions.apiPlugins[0].stateNames[1]`). Pure: no Django, no I/O.

What is checked here is the declaration only; the automation app runs them. A handler or kind
that does not run is refused with a message that says so (CHILD_PLUGINS_RUN, DISPATCH_EVENT_HANDLERS).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from . import jmespath_js
from .errors import Problem
from .validation import json_schema_problems

__all__ = [
    "API_PLUGIN_KEYS",
    "CHILD_PLUGINS_RUN",
    "COMMON_PLUGIN_KINDS",
    "DISPATCH_EVENT_HANDLERS",
    "HELPER_METHODS",
    "HOSTED_KIND_MESSAGE",
    "PLUGIN_LISTS",
    "DispatchHandler",
    "plugin_declaration_problems",
]

PLUGIN_LISTS = ("apiPlugins", "commonPlugins", "childWorkflowPlugins", "dispatchEventPlugins")


@dataclass(frozen=True)
class DispatchHandler:
    """A handler a dispatchEventPlugin can call by its `eventName`."""

    description: str
    runs: bool  # False: registered, but a definition using it is refused until it runs
    not_running_message: str = ""


# The registry of dispatch-event handlers. ENTITIES_UPDATE is built with child cases (SPEC 12).
DISPATCH_EVENT_HANDLERS: dict[str, DispatchHandler] = {
    "ENTITIES_UPDATE": DispatchHandler(
        description="creates or updates the individuals in payload.ubos / payload.directors and links them to the case's business",
        runs=True,
    ),
}

# Child plugins start child cases (SPEC section 12), which are not built yet.
CHILD_PLUGINS_RUN = True
CHILD_PLUGINS_MESSAGE = (
    "Child workflow plugins do not run yet (child cases are not built): "
    "a definition with childWorkflowPlugins cannot be saved until then."
)

API_KINDS = ("api", "webhook")
COMMON_PLUGIN_KINDS = ("iterative", "transformer")
HELPER_METHODS = ("regex", "remove", "omit", "setTimeToRecordUTC", "mergeArrayEachItemWithValue")
HTTP_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")

HOSTED_KIND_MESSAGE = (
    "The plugin kind '{kind}' has no url: Ballerine fills it in with its own paid API, which this "
    "server does not call. Declare an 'api' plugin with the vendor's URL instead."
)

API_PLUGIN_KEYS = (
    "name", "pluginKind", "displayName", "stateNames", "url", "method", "headers", "request",
    "response", "successAction", "errorAction", "persistResponseDestination",
)
ITERATIVE_KEYS = ("name", "pluginKind", "displayName", "stateNames", "iterateOn", "actionPluginName", "successAction", "errorAction")
TRANSFORMER_KEYS = ("name", "pluginKind", "displayName", "stateNames", "transformers")
CHILD_KEYS = ("name", "pluginKind", "displayName", "definitionId", "transformers", "initEvent", "stateNames", "successAction", "errorAction")
DISPATCH_KEYS = ("name", "pluginKind", "displayName", "eventName", "stateNames", "payload", "transformers", "successAction", "errorAction")
REQUEST_KEYS = ("transform", "schema")
TRANSFORMER_ENTRY_KEYS = ("transformer", "mapping")
HELPER_KEYS = ("source", "target", "method", "value", "options")
URL_OBJECT_KEYS = ("url", "options")

PLUGIN_NAME = re.compile(r"^[A-Za-z0-9_$-][A-Za-z0-9_$ -]*$")
PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
SECRET_PLACEHOLDER = re.compile(r"^secrets?\.[A-Za-z_][A-Za-z0-9_]*$")
INPUT_PLACEHOLDER = re.compile(r"^[A-Za-z_$][A-Za-z0-9_$-]*(\.[A-Za-z0-9_$-]+)*$")
SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://")
DOT_PATH = re.compile(r"^[^.\s][^\s]*$")

UrlCheck = Callable[[str], "str | None"]


def _words(values) -> str:
    return ", ".join(f"'{value}'" for value in values)


class _Checker:
    def __init__(self, extensions: dict, statechart, url_check: UrlCheck | None):
        self.extensions = extensions
        states = statechart.get("states") if isinstance(statechart, dict) else None
        self.states = states if isinstance(states, dict) else None
        self.url_check = url_check
        self.problems: list[Problem] = []

    def add(self, path: str, message: str) -> None:
        self.problems.append(Problem(path, message))

    # --- the lists ------------------------------------------------------------------------

    def run(self) -> list[Problem]:
        lists = {}
        for key in PLUGIN_LISTS:
            if key not in self.extensions:
                continue
            value = self.extensions[key]
            if not isinstance(value, list):
                self.add(f"extensions.{key}", "Must be a list of plugin declarations.")
                continue
            lists[key] = value
        names = self._names(lists)
        action_plugins = {
            plugin["name"]
            for key in ("apiPlugins", "childWorkflowPlugins")
            for plugin in lists.get(key, [])
            if isinstance(plugin, dict) and isinstance(plugin.get("name"), str)
        }
        actions_of_iteratives = {
            plugin.get("actionPluginName")
            for plugin in lists.get("commonPlugins", [])
            if isinstance(plugin, dict)
            and plugin.get("pluginKind") == "iterative"
            and isinstance(plugin.get("actionPluginName"), str)
        }
        for index, plugin in enumerate(lists.get("apiPlugins", [])):
            self._api_plugin(plugin, f"extensions.apiPlugins[{index}]", actions_of_iteratives)
        for index, plugin in enumerate(lists.get("commonPlugins", [])):
            self._common_plugin(plugin, f"extensions.commonPlugins[{index}]", action_plugins, names)
        for index, plugin in enumerate(lists.get("childWorkflowPlugins", [])):
            self._child_plugin(plugin, f"extensions.childWorkflowPlugins[{index}]", actions_of_iteratives)
        for index, plugin in enumerate(lists.get("dispatchEventPlugins", [])):
            self._dispatch_plugin(plugin, f"extensions.dispatchEventPlugins[{index}]")
        return self.problems

    def _names(self, lists: dict) -> dict[str, str]:
        """Plugin name -> the path of the list it is in; a name given twice is a problem
        (outputs are kept under pluginsOutput.<name>)."""
        seen: dict[str, str] = {}
        for key, plugins in lists.items():
            for index, plugin in enumerate(plugins):
                path = f"extensions.{key}[{index}]"
                if not isinstance(plugin, dict):
                    continue
                name = plugin.get("name")
                if not isinstance(name, str) or not name.strip():
                    self.add(f"{path}.name", "This field is required (a non-empty string).")
                elif len(name) > 100 or not PLUGIN_NAME.match(name):
                    self.add(
                        f"{path}.name",
                        "Must be at most 100 letters, digits, '_', '-', '$' or spaces (it names "
                        "pluginsOutput.<name>; no dots).",
                    )
                elif name in seen:
                    self.add(f"{path}.name", f"Another plugin is already named '{name}' ({seen[name]}); plugin names must be unique.")
                else:
                    seen[name] = path
        return seen

    # --- the kinds ------------------------------------------------------------------------

    def _object(self, plugin, path: str) -> bool:
        if not isinstance(plugin, dict):
            self.add(path, "Must be an object (a plugin declaration).")
            return False
        return True

    def _unknown_keys(self, value: dict, allowed, path: str, what: str) -> None:
        for key in value:
            if key not in allowed:
                self.add(f"{path}.{key}", f"Unknown key '{key}'; {what} takes: {_words(allowed)}.")

    def _api_plugin(self, plugin, path: str, actions_of_iteratives: set) -> None:
        if not self._object(plugin, path):
            return
        kind = plugin.get("pluginKind", "api")
        if not isinstance(kind, str) or not kind:
            self.add(f"{path}.pluginKind", "Must be a non-empty string: 'api', 'webhook' or a kind with a url.")
            return
        if "url" not in plugin:
            if kind in API_KINDS:
                self.add(f"{path}.url", "This field is required.")
            else:
                self.add(f"{path}.pluginKind", HOSTED_KIND_MESSAGE.format(kind=kind))
            return
        self._unknown_keys(plugin, API_PLUGIN_KEYS, path, "an api plugin")
        self._display_name(plugin, path)
        self._url(plugin["url"], f"{path}.url")
        if "method" in plugin and plugin["method"] not in HTTP_METHODS:
            self.add(f"{path}.method", f"Must be one of: {_words(HTTP_METHODS)}.")
        if "headers" in plugin:
            self._headers(plugin["headers"], f"{path}.headers")
        for part in ("request", "response"):
            if part in plugin:
                self._request(plugin[part], f"{path}.{part}")
        if "persistResponseDestination" in plugin:
            destination = plugin["persistResponseDestination"]
            if not isinstance(destination, str) or not DOT_PATH.match(destination):
                self.add(f"{path}.persistResponseDestination", "Must be a dot path such as 'pluginsOutput.registry' (no spaces).")
        required = plugin.get("name") not in actions_of_iteratives
        self._states_and_actions(plugin, path, required=required)

    def _common_plugin(self, plugin, path: str, action_plugins: set, names: dict) -> None:
        if not self._object(plugin, path):
            return
        kind = plugin.get("pluginKind")
        if kind not in COMMON_PLUGIN_KINDS:
            what = "This field is required" if kind is None else f"Unknown plugin kind {kind!r}"
            self.add(
                f"{path}.pluginKind",
                f"{what}: the common plugins this server runs are {_words(COMMON_PLUGIN_KINDS)}.",
            )
            return
        self._display_name(plugin, path)
        if kind == "iterative":
            self._unknown_keys(plugin, ITERATIVE_KEYS, path, "an iterative plugin")
            if "iterateOn" not in plugin:
                self.add(f"{path}.iterateOn", "This field is required (transformers that yield the list to iterate on).")
            else:
                self._transformers(plugin["iterateOn"], f"{path}.iterateOn")
            action = plugin.get("actionPluginName")
            if not isinstance(action, str) or not action:
                self.add(f"{path}.actionPluginName", "This field is required (the name of an api or child plugin).")
            elif action not in action_plugins:
                where = f" (it names {names[action]}, which is not one)" if action in names else ""
                self.add(
                    f"{path}.actionPluginName",
                    f"No api or child plugin is named '{action}'{where}: actionPluginName must name a plugin of "
                    "extensions.apiPlugins or extensions.childWorkflowPlugins.",
                )
            self._states_and_actions(plugin, path, required=True)
        else:
            self._unknown_keys(plugin, TRANSFORMER_KEYS, path, "a transformer plugin")
            if "transformers" not in plugin:
                self.add(f"{path}.transformers", "This field is required.")
            else:
                self._transformers(plugin["transformers"], f"{path}.transformers", helpers_only=True)
            self._states_and_actions(plugin, path, required=True)

    def _one_kind(self, plugin, path: str, kind: str, keys, what: str) -> bool:
        """The checks every declaration of a single-kind list shares; False when the rest
        cannot be checked."""
        if not self._object(plugin, path):
            return False
        given = plugin.get("pluginKind", kind)
        if given != kind:
            self.add(f"{path}.pluginKind", f"Unknown plugin kind {given!r}: {what} is of kind '{kind}'.")
            return False
        self._unknown_keys(plugin, keys, path, what)
        self._display_name(plugin, path)
        return True

    def _child_plugin(self, plugin, path: str, actions_of_iteratives: set) -> None:
        if not self._one_kind(plugin, path, "child", CHILD_KEYS, "a child workflow plugin"):
            return
        definition_id = plugin.get("definitionId")
        if not isinstance(definition_id, str) or not definition_id.strip():
            self.add(f"{path}.definitionId", "This field is required (the key of a definition of the project).")
        if "transformers" in plugin:
            self._transformers(plugin["transformers"], f"{path}.transformers")
        if "initEvent" in plugin and (not isinstance(plugin["initEvent"], str) or not plugin["initEvent"]):
            self.add(f"{path}.initEvent", "Must be a non-empty string (an event of the child's initial state).")
        # A child plugin usually runs as an iterative plugin's action, without stateNames.
        self._states_and_actions(plugin, path, required=False)
        if not CHILD_PLUGINS_RUN:
            self.add(path, CHILD_PLUGINS_MESSAGE)

    def _dispatch_plugin(self, plugin, path: str) -> None:
        if not self._one_kind(plugin, path, "dispatch-event", DISPATCH_KEYS, "a dispatch event plugin"):
            return
        event_name = plugin.get("eventName")
        if not isinstance(event_name, str) or not event_name:
            self.add(f"{path}.eventName", f"This field is required: one of the registered handlers {_words(DISPATCH_EVENT_HANDLERS)}.")
        elif event_name not in DISPATCH_EVENT_HANDLERS:
            self.add(
                f"{path}.eventName",
                f"No handler is registered as '{event_name}'; the registered handlers are {_words(DISPATCH_EVENT_HANDLERS)}.",
            )
        elif not DISPATCH_EVENT_HANDLERS[event_name].runs:
            self.add(f"{path}.eventName", DISPATCH_EVENT_HANDLERS[event_name].not_running_message)
        if "payload" in plugin and not isinstance(plugin["payload"], dict):
            self.add(f"{path}.payload", "Must be an object.")
        if "transformers" in plugin:
            self._transformers(plugin["transformers"], f"{path}.transformers")
        self._states_and_actions(plugin, path, required=True)

    # --- shared parts ---------------------------------------------------------------------

    def _display_name(self, plugin: dict, path: str) -> None:
        if "displayName" in plugin and not isinstance(plugin["displayName"], str):
            self.add(f"{path}.displayName", "Must be a string.")

    def _states_and_actions(self, plugin: dict, path: str, *, required: bool) -> None:
        listed: list[str] = []
        if "stateNames" not in plugin:
            if required:
                self.add(
                    f"{path}.stateNames",
                    "This field is required (the states whose entry runs the plugin), unless the plugin is "
                    "the actionPluginName of an iterative plugin.",
                )
        elif not isinstance(plugin["stateNames"], list):
            self.add(f"{path}.stateNames", "Must be a list of state names.")
        else:
            for index, name in enumerate(plugin["stateNames"]):
                state_path = f"{path}.stateNames[{index}]"
                if not isinstance(name, str) or not name:
                    self.add(state_path, "Must be a state name (a non-empty string).")
                elif self.states is not None and name not in self.states:
                    self.add(state_path, f"No state is named '{name}'.")
                elif name in listed:
                    self.add(state_path, f"'{name}' is listed twice.")
                else:
                    listed.append(name)
        for key in ("successAction", "errorAction"):
            if key not in plugin:
                continue
            event = plugin[key]
            if not isinstance(event, str) or not event:
                self.add(f"{path}.{key}", "Must be an event name (a non-empty string).")
                continue
            for name in listed:
                state = self.states.get(name) if self.states else None
                handled = state.get("on") if isinstance(state, dict) else None
                if not isinstance(handled, dict) or event not in handled:
                    self.add(f"{path}.{key}", f"The state '{name}' does not handle the event '{event}'.")

    def _headers(self, headers, path: str) -> None:
        if not isinstance(headers, dict):
            self.add(path, "Must be an object of header names and string values.")
            return
        for name, value in headers.items():
            if not isinstance(value, str):
                self.add(f"{path}.{name}", "Must be a string.")
            else:
                self._placeholders(value, f"{path}.{name}")

    def _url(self, url, path: str) -> None:
        if isinstance(url, dict):
            self._unknown_keys(url, URL_OBJECT_KEYS, path, "a url object")
            if "options" in url and not isinstance(url["options"], dict):
                self.add(f"{path}.options", "Must be an object.")
            if "url" not in url:
                self.add(f"{path}.url", "This field is required.")
                return
            url, path = url["url"], f"{path}.url"
        if not isinstance(url, str) or not url:
            self.add(path, "Must be a URL (a string, or an object {url, options}).")
            return
        scheme = SCHEME.match(url)
        if url.startswith("{secret.APP_API_URL}") or url.startswith("{secrets.APP_API_URL}"):
            self.add(
                path,
                "{secret.APP_API_URL} is for callback URLs in the request body, not a plugin's url: "
                "the scheme and host of a url are written out (placeholders only in the path and query).",
            )
            return
        if scheme is None:
            self.add(
                path,
                "The scheme and host must be written out, as in 'https://api.vendor.com/...' "
                "(placeholders such as {secret.X} only in the path and query).",
            )
            return
        rest = url[scheme.end():]
        authority = re.split(r"[/?#]", rest, maxsplit=1)[0]
        if "{" in authority or "}" in authority or not authority:
            self.add(
                path,
                "The host must be written out, as in 'https://api.vendor.com/...' (placeholders such as "
                "{secret.X} only in the path and query).",
            )
            return
        if self.url_check is not None:
            problem = self.url_check(f"{scheme.group(0)}{authority}/")
            if problem:
                self.add(path, problem)
                return
        self._placeholders(rest[len(authority):], path)

    def _placeholders(self, text: str, path: str) -> None:
        for match in PLACEHOLDER.finditer(text):
            inner = match.group(1)
            if not (SECRET_PLACEHOLDER.match(inner) or INPUT_PLACEHOLDER.match(inner)):
                self.add(
                    path,
                    f"The placeholder '{match.group(0)}' is neither {{secret.NAME}} nor a dot path of the input "
                    "such as {entity.data.registrationNumber}.",
                )
        leftover = PLACEHOLDER.sub("", text)
        if "{" in leftover or "}" in leftover:
            self.add(path, "Has an unmatched '{' or '}'.")

    def _request(self, part, path: str) -> None:
        if not isinstance(part, dict):
            self.add(path, "Must be an object {transform, schema}.")
            return
        self._unknown_keys(part, REQUEST_KEYS, path, path.rsplit(".", 1)[-1])
        if "transform" in part:
            self._transformers(part["transform"], f"{path}.transform")
        if "schema" in part:
            schema = part["schema"]
            if not isinstance(schema, dict):
                self.add(f"{path}.schema", "Must be a JSON Schema (an object).")
            else:
                self.problems.extend(json_schema_problems(schema, f"{path}.schema"))

    def _transformers(self, transformers, path: str, *, helpers_only: bool = False) -> None:
        if not isinstance(transformers, list):
            self.add(path, "Must be a list of transformers {transformer, mapping}.")
            return
        for index, entry in enumerate(transformers):
            entry_path = f"{path}[{index}]"
            if not isinstance(entry, dict):
                self.add(entry_path, "Must be an object {transformer, mapping}.")
                continue
            self._unknown_keys(entry, TRANSFORMER_ENTRY_KEYS, entry_path, "a transformer")
            kind = entry.get("transformer")
            mapping_path = f"{entry_path}.mapping"
            if helpers_only:
                if kind != "helpers":
                    hint = " (spelled 'helpers' here, as in Ballerine)" if kind == "helper" else ""
                    self.add(f"{entry_path}.transformer", f"A transformer plugin takes only 'helpers' transformers{hint}.")
                    continue
            elif kind not in ("jmespath", "helper"):
                hint = " ('helpers' is spelled so only in a transformer plugin)" if kind == "helpers" else ""
                self.add(f"{entry_path}.transformer", f"Must be 'jmespath' or 'helper'{hint}.")
                continue
            if "mapping" not in entry:
                self.add(mapping_path, "This field is required.")
            elif kind == "jmespath":
                self._jmespath(entry["mapping"], mapping_path)
            else:
                self._helpers(entry["mapping"], mapping_path)

    def _jmespath(self, expression, path: str) -> None:
        if not isinstance(expression, str) or not expression.strip():
            self.add(path, "Must be a jmespath expression (a non-empty string).")
            return
        try:
            compiled = jmespath_js.compile_expression(expression)
        except Exception as exc:  # the parser raises several exception types
            detail = " ".join(line.strip() for line in str(exc).splitlines() if line.strip() not in ("", "^"))
            self.add(path, f"jmespath expression does not compile: {detail}")
            return
        for message in jmespath_js.js_parser_problems(expression):
            self.add(path, message)
        for name in jmespath_js.unknown_functions(compiled):
            self.add(path, f"unknown jmespath function {name}()")

    def _helpers(self, mapping, path: str) -> None:
        if not isinstance(mapping, list) or not mapping:
            self.add(path, "Must be a non-empty list of helpers {source, target, method, value?, options?}.")
            return
        for index, helper in enumerate(mapping):
            helper_path = f"{path}[{index}]"
            if not isinstance(helper, dict):
                self.add(helper_path, "Must be an object {source, target, method, value?, options?}.")
                continue
            self._unknown_keys(helper, HELPER_KEYS, helper_path, "a helper")
            for key in ("source", "target"):
                value = helper.get(key)
                if not isinstance(value, str) or not value:
                    self.add(f"{helper_path}.{key}", "This field is required (a dot path of the context).")
            method = helper.get("method")
            if method not in HELPER_METHODS:
                what = "This field is required" if method is None else f"Unknown helper method {method!r}"
                self.add(f"{helper_path}.method", f"{what}: the helpers this server runs are {_words(HELPER_METHODS)}.")
                continue
            value, options = helper.get("value"), helper.get("options")
            if method == "regex":
                if not isinstance(value, str):
                    self.add(f"{helper_path}.value", "This field is required (the regular expression, a string).")
                else:
                    try:
                        re.compile(value)
                    except re.error as exc:
                        self.add(f"{helper_path}.value", f"The regular expression does not compile: {exc}.")
            elif method == "omit":
                if not isinstance(value, list) or not all(isinstance(key, str) for key in value):
                    self.add(f"{helper_path}.value", "This field is required (the list of keys to omit).")
            elif method == "mergeArrayEachItemWithValue":
                if not isinstance(options, dict):
                    self.add(f"{helper_path}.options", "This field is required: {mapJmespath, mergeWithJmespath}.")
                    continue
                for key in ("mapJmespath", "mergeWithJmespath"):
                    if key not in options:
                        self.add(f"{helper_path}.options.{key}", "This field is required (a jmespath expression).")
                    else:
                        self._jmespath(options[key], f"{helper_path}.options.{key}")
            if options is not None and not isinstance(options, dict):
                self.add(f"{helper_path}.options", "Must be an object.")


def plugin_declaration_problems(extensions, statechart, *, url_check: UrlCheck | None = None) -> list[Problem]:
    """Every problem with the plugin declarations of `extensions`; [] when there are none.

    `url_check(base)` may refuse a url's literal `scheme://host[:port]/` (the server's SSRF
    rules); it returns a message or None. Never raises."""
    if not isinstance(extensions, dict):
        return []
    try:
        return _Checker(extensions, statechart, url_check).run()
    except Exception as exc:  # garbage in must come back as a problem, not a traceback
        return [Problem("extensions", f"could not be validated: {exc!r}")]
