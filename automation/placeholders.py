"""Placeholders in an api plugin's request (SPEC section 10). Pure: no Django, no I/O.

- `{secret.NAME}` and `{secrets.NAME}`: the project's secret NAME, from the mapping passed in
  (never the server's environment, which Ballerine reads for `{secret.X}`).
  `{secret.APP_API_URL}`: the server's public base URL, for callback URLs.
- `{a.b.c}`: the plugin input at that dot path; a numeric segment indexes an array. For the url,
  the `options` of a `{url, options}` url are looked at first (Ballerine fills the url from them
  first), but never for a secret.
- Braces around anything else (`{ }`, `{"a": 1}`) are text, not a placeholder.

Placeholders are filled in one pass, only in what the definition wrote:
- `url`, after its literal `scheme://host`: the value is URL-encoded (`/` included, so a value
  cannot add path segments);
- `headers` values: a value with a line break or NUL is refused (it would forge headers);
- the top-level string values of the transformed body. Context values and
  `{secret.APP_API_URL}` only: a secret there fails the run. A string that is exactly one
  placeholder takes the value as it is (a number stays a number, an object an object, null
  null); Ballerine always writes `${value}` ("12", "[object Object]"), which loses the type.
  Inside a longer string a value is written as JavaScript's String() would, objects and arrays
  as JSON.

A value that came from the input is never scanned again. For the body, which is built by the
transform out of both the definition's text and the input, that needs to know which braces the
definition wrote: `shield()` swaps the input's braces for noncharacters before the transform runs
and `unshield()` swaps them back after the placeholders are filled in, so a company named
`{secret.TOKEN}` stays that text. (The cost: a transform that compares input text with a literal
brace, such as `[?name == '{x}']`, does not see the brace.)

Ballerine (packages/workflow-core/src/lib/plugins/external-plugin/api-plugin/api-plugin.ts)
fills body placeholders from the transformed payload itself, not from the input, scans each
value again after every substitution, and sends a placeholder it cannot fill as typed. Here an
unresolved placeholder, or one whose value is null where text is needed, fails the run with
every such placeholder named.

The redacted copy shows each secret as `[secret NAME]`, both where a placeholder put it and
wherever else its value appears (say, copied into the case by someone).
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from workflows.engine.errors import Problem
from workflows.engine.js import json_stringify, to_string
from workflows.engine.plugins import INPUT_PLACEHOLDER, PLACEHOLDER, SCHEME, SECRET_PLACEHOLDER

from .transforms import PluginRequestError

__all__ = ["PlaceholderError", "Resolved", "resolve_request", "redact", "shield", "unshield"]

PUBLIC_BASE_URL_NAME = "APP_API_URL"


class PlaceholderError(PluginRequestError):
    """Placeholders that could not be filled in (each named, with where it is)."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        super().__init__("; ".join(f"{problem.path}: {problem.message}" for problem in self.problems))


@dataclass(frozen=True)
class Resolved:
    url: str
    headers: dict[str, str]
    body: Any
    redacted_url: str
    redacted_headers: dict[str, str]
    redacted_body: Any


@dataclass(frozen=True)
class _Found:
    value: Any
    secret: str | None = None  # the secret's name, when the value is one


_FAILED = object()
_MISSING = object()


def resolve_request(
    url: str,
    headers: dict,
    body,
    plugin_input,
    *,
    secrets,
    public_base_url: str,
    url_options: dict | None = None,
    body_shielded: bool = False,
) -> Resolved:
    """`url`, `headers` and `body` with their placeholders filled in, and a redacted copy.

    `body_shielded`: the body was built from `shield(plugin_input)`. Raises PlaceholderError
    naming every placeholder that could not be filled in."""
    resolver = _Resolver(plugin_input, secrets, public_base_url, url_options)
    sent_url, shown_url = resolver.url(url)
    sent_headers, shown_headers = resolver.headers(headers or {})
    sent_body, shown_body = resolver.body(body, body_shielded)
    if resolver.problems:
        raise PlaceholderError(resolver.problems)
    return Resolved(
        url=sent_url,
        headers=sent_headers,
        body=sent_body,
        redacted_url=redact(shown_url, secrets),
        redacted_headers=redact(shown_headers, secrets),
        redacted_body=redact(shown_body, secrets),
    )


class _Resolver:
    def __init__(self, plugin_input, secrets, public_base_url, url_options):
        self.input = plugin_input
        self.secrets = secrets or {}
        self.public_base_url = public_base_url
        self.url_options = url_options
        self.problems: list[Problem] = []

    def fail(self, path: str, message: str):
        self.problems.append(Problem(path, message))
        return _FAILED

    def url(self, url: str) -> tuple[str, str]:
        scheme = SCHEME.match(url)
        authority = re.split(r"[/?#]", url[scheme.end():], maxsplit=1)[0] if scheme else ""
        if not authority or "{" in authority or "}" in authority:
            self.fail(
                "url",
                "the scheme and host must be written out, as in 'https://api.vendor.com/...' "
                "(placeholders only in the path and query)",
            )
            return url, url
        head = url[: scheme.end() + len(authority)]
        sent, shown = self.substitute(url[len(head):], "url", "url", encode=True)
        return head + sent, head + shown

    def headers(self, headers: dict) -> tuple[dict, dict]:
        sent, shown = {}, {}
        for name, value in headers.items():
            path = f"headers.{name}"
            sent[name], shown[name] = self.substitute(value, "header", path)
            if any(char in sent[name] for char in "\r\n\0"):
                self.fail(path, "the value has a line break or NUL once its placeholders are filled in")
        return sent, shown

    def body(self, body, shielded: bool):
        if not isinstance(body, dict):
            return body, body
        sent = {}
        for key, value in body.items():
            path = f"body.{unshield(key)}"
            if not isinstance(value, str):
                sent[key] = value
                continue
            whole = PLACEHOLDER.fullmatch(value)
            found = self.lookup(value, "body", path) if whole else None
            if isinstance(found, _Found):
                typed = copy.deepcopy(found.value)
                sent[key] = shield(typed) if shielded else typed
            elif found is _FAILED:
                sent[key] = value
            else:
                sent[key], _ = self.substitute(value, "body", path, shielded=shielded)
        if shielded:
            sent = unshield(sent)
        # A secret never gets into the body, so its redacted copy is the same until redact().
        return sent, copy.deepcopy(sent)

    def substitute(self, text: str, where: str, path: str, *, encode=False, shielded=False) -> tuple[str, str]:
        sent, shown, last = [], [], 0
        for match in PLACEHOLDER.finditer(text):
            found = self.lookup(match.group(0), where, path)
            if found is None:
                continue  # not a placeholder: stays in the text
            literal = text[last : match.start()]
            sent.append(literal)
            shown.append(literal)
            last = match.end()
            value = self.as_text(found, match.group(0), path) if found is not _FAILED else _FAILED
            if value is _FAILED:
                sent.append(match.group(0))
                shown.append(match.group(0))
                continue
            if shielded:
                value = shield(value)
            if encode:
                value = quote(value, safe="")
            sent.append(value)
            shown.append(f"[secret {found.secret}]" if found.secret else value)
        sent.append(text[last:])
        shown.append(text[last:])
        return "".join(sent), "".join(shown)

    def lookup(self, placeholder: str, where: str, path: str):
        """_Found, _FAILED (a problem was recorded) or None (not a placeholder)."""
        inner = placeholder[1:-1]
        if SECRET_PLACEHOLDER.match(inner):
            name = inner.split(".", 1)[1]
            if name == PUBLIC_BASE_URL_NAME:
                if not self.public_base_url:
                    return self.fail(path, f"{placeholder}: the server's public base URL (PUBLIC_BASE_URL) is not set")
                return _Found(self.public_base_url)
            if where == "body":
                return self.fail(
                    path,
                    f"{placeholder}: a secret is never put in the request body (only {{secret.APP_API_URL}} "
                    "is); send it in a header or the url",
                )
            if name not in self.secrets:
                return self.fail(path, f"{placeholder}: the project has no secret named {name}")
            return _Found(self.secrets[name], secret=name)
        if INPUT_PLACEHOLDER.match(inner):
            if where == "url" and isinstance(self.url_options, dict):
                value = read_path(self.url_options, inner)
                if value is not _MISSING:
                    return _Found(value)
            value = read_path(self.input, inner)
            if value is _MISSING:
                return self.fail(path, f"{placeholder}: the plugin input has no {inner}")
            return _Found(value)
        return None

    def as_text(self, found: _Found, placeholder: str, path: str):
        value = found.value
        if value is None:
            return self.fail(path, f"{placeholder}: the value is null")
        if isinstance(value, str):
            return value
        if isinstance(value, (dict, list)):
            return json_stringify(value)
        return to_string(value)


def read_path(data, dotted: str):
    """The value at a dot path (numeric segments index arrays), or _MISSING."""
    current = data
    for segment in dotted.split("."):
        if isinstance(current, dict) and segment in current:
            current = current[segment]
        elif isinstance(current, list) and segment.isdigit() and int(segment) < len(current):
            current = current[int(segment)]
        else:
            return _MISSING
    return current


# --- redaction ---------------------------------------------------------------------------------


def redact(value, secrets):
    """`value` (text or JSON) with every secret's value, plain or URL-encoded, shown as
    `[secret NAME]`. Every non-empty secret counts, however short: a record that hides too much
    is better than one that shows a secret."""
    forms: dict[str, str] = {}
    for name, secret in (secrets or {}).items():
        if isinstance(secret, str) and secret:
            for form in (secret, quote(secret, safe="")):
                forms.setdefault(form, name)
    if not forms:
        return copy.deepcopy(value)
    pattern = re.compile("|".join(re.escape(form) for form in sorted(forms, key=len, reverse=True)))

    def text(string: str) -> str:
        return pattern.sub(lambda match: f"[secret {forms[match.group(0)]}]", string)

    return _map_strings(value, text)


def _map_strings(value, function):
    if isinstance(value, str):
        return function(value)
    if isinstance(value, dict):
        return {function(key): _map_strings(item, function) for key, item in value.items()}
    if isinstance(value, list):
        return [_map_strings(item, function) for item in value]
    return value


# --- shielding the input's braces ------------------------------------------------------------

# Unicode noncharacters, which interchanged text does not use. One that does occur is escaped,
# so shield() and unshield() round-trip any text.
_OPEN, _CLOSE, _ESCAPE = "\ufdd0", "\ufdd1", "\ufdd2"
_TO_SHIELD = re.compile("[{}\ufdd0\ufdd1\ufdd2]")
_TO_UNSHIELD = re.compile("\ufdd2(.)|\ufdd0|\ufdd1", re.DOTALL)


def _shield_text(text: str) -> str:
    return _TO_SHIELD.sub(lambda m: {"{": _OPEN, "}": _CLOSE}.get(m.group(0)) or _ESCAPE + m.group(0), text)


def _unshield_text(text: str) -> str:
    def back(match):
        if match.group(1) is not None:
            return match.group(1)
        return "{" if match.group(0) == _OPEN else "}"

    return _TO_UNSHIELD.sub(back, text)


def shield(value):
    """A copy of `value` in which no string (key or value) has a brace."""
    return _map_strings(value, _shield_text)


def unshield(value):
    """shield() undone."""
    return _map_strings(value, _unshield_text)
