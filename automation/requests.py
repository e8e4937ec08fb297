"""An api plugin's request and what its response leaves in the context (SPEC section 10).
Pure: no Django, no I/O, no database; the worker sends the request and applies the result.

Followed (ballerine-io/ballerine, packages/workflow-core/src/lib/):
plugins/external-plugin/api-plugin/api-plugin.ts (invoke, makeApiRequest, transformData) and
workflow-runner.ts (__invokeApiPlugin, mergeToContext). Where this differs, on purpose:

- method: Ballerine has no default (a plugin without one fails as soon as it has a body). Here
  it is POST when the plugin has a request.transform (a body), else GET. A GET sends its body
  as the query string, as Ballerine does; objects in it are written as JSON.
- request.transform absent: no body (Ballerine fails the run); `[]` sends the whole input, as
  Ballerine does.
- request.schema is checked whenever there is a body and response.schema whenever it is
  declared (Ballerine checks each only when the matching transform is declared), with JSON
  Schema draft 7 unless `$schema` says otherwise, like Ajv's default; formats are not checked
  (Ajv does not check them without ajv-formats).
- 202 and 204 give `{"statusCode": N}` (Ballerine's rule), and so does any 2xx with an empty
  body (Ballerine fails the run on JSON.parse of nothing).
- As in Ballerine, a response object gets `invokedAt` (milliseconds since the epoch) after
  response.transform and before response.schema is checked; an array response stays an array
  (Ballerine turns it into an object keyed "0", "1", ...).
- pluginsInput.<name> is `{requestPayload, status}` as in Ballerine, but replaced on each run
  rather than deep-merged into the previous one (which keeps an old `error` next to
  "SUCCESS"); and a success first clears the error record an earlier failed run left at
  pluginsOutput.<name>, wherever the new output goes.
"""

from __future__ import annotations

import copy
import hashlib
import hmac
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import jsonschema
from jsonschema.validators import validator_for

from workflows.engine.errors import Problem
from workflows.engine.js import js_type, json_stringify, to_string, truthy
from workflows.engine.merge import deep_merge
from workflows.engine.validation import format_path

from .placeholders import PlaceholderError, redact, resolve_request, shield, unshield
from .transforms import PluginRequestError, TransformError, apply_transformers, now_milliseconds

__all__ = [
    "PersistError",
    "PlaceholderError",
    "PluginRequestError",
    "PreparedRequest",
    "RequestError",
    "ResponseError",
    "SchemaMismatch",
    "TransformError",
    "apply_transformers",
    "persist",
    "persist_error",
    "plugin_input",
    "prepare_request",
    "read_response",
    "redact",
]

SUCCESS, ERROR = "SUCCESS", "ERROR"  # Ballerine's ProcessStatus values
EMPTY_BODY_STATUSES = (202, 204)
SIGNATURE_HEADER = "X-HMAC-Signature"


class SchemaMismatch(PluginRequestError):
    """The request body or the response does not match its schema; every path is listed."""

    def __init__(self, part: str, problems: list[Problem]):
        self.part = part
        self.problems = list(problems)
        listed = "; ".join(f"{problem.path}: {problem.message}" for problem in self.problems)
        super().__init__(f"the {part} does not match {part}.schema: {listed}")


class ResponseError(PluginRequestError):
    """A 2xx response that cannot be used (not JSON, or not an object or array)."""


class RequestError(PluginRequestError):
    """A request that cannot be built for a reason other than a transform or a placeholder."""


class PersistError(PluginRequestError):
    """persistResponseDestination runs through a value that is not an object."""


@dataclass(frozen=True)
class PreparedRequest:
    method: str
    url: str
    headers: dict[str, str]
    body: bytes | None  # the exact bytes to send (and that the signature covers)
    payload: Any  # the body as JSON; for a GET, what went into the query string
    redacted: dict  # {"method", "url", "headers", "body"}, secrets as [secret NAME]


def plugin_input(context: dict, runtime_id: str, runtime_config: dict) -> dict:
    """What a plugin's transforms and placeholders read: the context plus
    `workflowRuntimeId` and `workflowRuntimeConfig` (which win over context keys so named)."""
    return {
        **copy.deepcopy(context),
        "workflowRuntimeConfig": copy.deepcopy(runtime_config),
        "workflowRuntimeId": runtime_id,
    }


def prepare_request(
    plugin: dict,
    plugin_input: dict,
    *,
    secrets: Mapping[str, str],
    public_base_url: str,
    webhook_secret: str | None = None,
    now_ms: Callable[[], int] = now_milliseconds,
) -> PreparedRequest:
    """The HTTP request an api (or webhook) plugin sends for `plugin_input`.

    Raises TransformError, SchemaMismatch, PlaceholderError or RequestError."""
    request = plugin.get("request") or {}
    body = None
    if "transform" in request:
        body = apply_transformers(
            request["transform"] or [],
            shield(plugin_input),
            path="request.transform",
            drop_top_level_nulls=True,
            now_ms=now_ms,
        )
        if not isinstance(body, dict):
            raise TransformError("request.transform", f"must give an object (the request body), gave {js_type(body)}")
        if "schema" in request:
            check_schema(request["schema"], unshield(body), "request")
    url, url_options = plugin["url"], None
    if isinstance(url, dict):
        url, url_options = url["url"], url.get("options")
    resolved = resolve_request(
        url,
        plugin.get("headers") or {},
        body,
        plugin_input,
        secrets=secrets,
        public_base_url=public_base_url,
        url_options=url_options,
        body_shielded=True,
    )
    method = (plugin.get("method") or ("POST" if body is not None else "GET")).upper()
    sent_url, shown_url = resolved.url, resolved.redacted_url
    defaults = {"Accept": "application/json"}
    data = shown_body = None
    if resolved.body is not None and method == "GET":
        sent_url += _query(resolved.body, sent_url)
        shown_url += _query(resolved.redacted_body, shown_url)
    elif resolved.body is not None:
        data = json_stringify(resolved.body).encode("utf-8")
        shown_body = resolved.redacted_body
        defaults["Content-Type"] = "application/json"
    headers = _with_headers(defaults, resolved.headers)
    shown_headers = _with_headers(defaults, resolved.redacted_headers)
    if plugin.get("pluginKind") == "webhook":
        if not webhook_secret:
            raise RequestError("a webhook plugin signs its body with the project's webhook secret, and the project has none")
        signature = hmac.new(webhook_secret.encode("utf-8"), data or b"", hashlib.sha256).hexdigest()
        headers = _with_headers(headers, {SIGNATURE_HEADER: signature})
        shown_headers = _with_headers(shown_headers, {SIGNATURE_HEADER: signature})
    return PreparedRequest(
        method=method,
        url=sent_url,
        headers=headers,
        body=data,
        payload=resolved.body,
        redacted={"method": method, "url": shown_url, "headers": shown_headers, "body": shown_body},
    )


def _with_headers(base: dict, declared: dict) -> dict:
    """`declared` over `base`, header names compared without case."""
    names = {name.lower() for name in declared}
    return {**{name: value for name, value in base.items() if name.lower() not in names}, **declared}


def _query(payload: dict, url: str) -> str:
    if not payload:
        return ""
    pairs = [(key, _query_value(value)) for key, value in payload.items()]
    return ("&" if "?" in url else "?") + urlencode(pairs)


def _query_value(value) -> str:
    if isinstance(value, (dict, list)):
        return json_stringify(value)
    return to_string(value)


def check_schema(schema, instance, part: str) -> None:
    """SchemaMismatch listing every path where `instance` breaks `schema`."""
    try:
        cls = validator_for(schema, default=jsonschema.Draft7Validator)
        errors = list(cls(schema).iter_errors(instance))
    except Exception as exc:  # a broken or unresolvable schema must fail the run, not crash it
        raise SchemaMismatch(part, [Problem(f"{part}.schema", f"could not be checked: {exc}")]) from exc
    if errors:
        errors.sort(key=lambda error: ([str(key) for key in error.absolute_path], error.message))
        raise SchemaMismatch(part, [Problem(format_path(part, error.absolute_path), error.message) for error in errors])


# --- the response ------------------------------------------------------------------------------


def read_response(
    plugin: dict,
    status_code: int,
    body: bytes,
    content_type: str | None,
    *,
    now_ms: Callable[[], int] = now_milliseconds,
) -> dict | list:
    """A 2xx response as it is persisted: parsed, response.transform applied, `invokedAt`
    added, response.schema checked. Raises ResponseError, TransformError or SchemaMismatch."""
    if status_code in EMPTY_BODY_STATUSES or not (body or b"").strip():
        data = {"statusCode": status_code}
    else:
        data = _parse_json(body, content_type)
    response = plugin.get("response") or {}
    data = apply_transformers(
        response.get("transform") or [],
        data,
        path="response.transform",
        drop_top_level_nulls=True,
        now_ms=now_ms,
    )
    if isinstance(data, dict):
        data = {key: value for key, value in data.items() if value is not None}
        data["invokedAt"] = now_ms()
    elif not isinstance(data, list):
        raise ResponseError(f"the response is {js_type(data)}, not an object or an array")
    if "schema" in response:
        check_schema(response["schema"], data, "response")
    return data


def _refuse_constant(name: str):
    raise ValueError(f"{name} is not JSON")


def _parse_json(body: bytes, content_type: str | None):
    # fetch's json() decodes as UTF-8, dropping a byte order mark and replacing bad bytes.
    text = body.decode("utf-8-sig", errors="replace")
    try:
        return json.loads(text, parse_constant=_refuse_constant)
    except (ValueError, RecursionError) as exc:
        raise ResponseError(f"the response is not JSON (Content-Type: {content_type or 'none'}): {exc}") from exc


# --- persistence -------------------------------------------------------------------------------


def persist(context: dict, plugin: dict, output, request_payload_redacted=None) -> dict:
    """A new context with a successful run's `output` in it (the context is not changed):
    deep-merged (arrays replaced) at persistResponseDestination or pluginsOutput.<name>, and
    pluginsInput.<name> = {requestPayload, status: "SUCCESS"}. Raises PersistError."""
    name = plugin["name"]
    new = copy.deepcopy(context)
    outputs = new.get("pluginsOutput")
    if isinstance(outputs, dict) and _is_error_record(outputs.get(name)):
        del outputs[name]
    destination = plugin.get("persistResponseDestination") or f"pluginsOutput.{name}"
    _merge_at(new, destination.split("."), output, destination)
    record = {"status": SUCCESS}
    if request_payload_redacted is not None:
        record = {"requestPayload": copy.deepcopy(request_payload_redacted), **record}
    _replace_at(new, "pluginsInput", name, record)
    return new


def persist_error(context: dict, plugin: dict, error: str, *, request_payload_redacted=None) -> dict:
    """A new context with a failed run recorded: pluginsOutput.<name> = {name, error,
    status: "ERROR"}, and pluginsInput.<name> = {requestPayload?, error, status: "ERROR"} as
    Ballerine records it. Never raises: a pluginsOutput or pluginsInput that is not an object is
    replaced by one."""
    name = plugin["name"]
    new = copy.deepcopy(context)
    _replace_at(new, "pluginsOutput", name, {"name": name, "error": error, "status": ERROR})
    record = {"error": error, "status": ERROR}
    if request_payload_redacted is not None:
        record = {"requestPayload": copy.deepcopy(request_payload_redacted), **record}
    _replace_at(new, "pluginsInput", name, record)
    return new


def _is_error_record(value) -> bool:
    return isinstance(value, dict) and value.get("status") == ERROR and set(value) <= {"name", "error", "status"}


def _replace_at(context: dict, key: str, name: str, value) -> None:
    if not isinstance(context.get(key), dict):
        context[key] = {}
    context[key][name] = value


def _merge_at(node, keys: list[str], value, destination: str) -> None:
    """Ballerine's mergeToContext: missing or falsy steps become {}, then `value` is
    deep-merged over what is at the last step."""
    for depth, key in enumerate(keys):
        last = depth == len(keys) - 1
        if isinstance(node, list) and not key.isdigit():
            raise PersistError(f"persistResponseDestination '{destination}': {'.'.join(keys[:depth])} is an array")
        current = _child(node, key)
        if last:
            _put(node, key, deep_merge(current, value, "replace"))
            return
        if not truthy(current):
            current = {}
            _put(node, key, current)
        elif not isinstance(current, (dict, list)):
            where = ".".join(keys[: depth + 1])
            raise PersistError(f"persistResponseDestination '{destination}': {where} is {js_type(current)}, not an object")
        node = current


def _child(node, key: str):
    if isinstance(node, dict):
        return node.get(key)
    index = int(key)
    return node[index] if index < len(node) else None


def _put(node, key: str, value) -> None:
    if isinstance(node, dict):
        node[key] = value
        return
    index = int(key)
    if index >= len(node):
        node.extend([None] * (index + 1 - len(node)))
    node[index] = value
