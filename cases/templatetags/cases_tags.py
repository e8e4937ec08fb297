import json

from django import template
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

register = template.Library()

STATUS_COLOURS = {"active": "primary", "completed": "success", "failed": "danger"}


@register.filter
def status_colour(status: str) -> str:
    return STATUS_COLOURS.get(status, "secondary")


@register.simple_tag
def sort_header(query: str, current: str, field: str, label: str, css: str = "") -> SafeString:
    """A column header that sorts by `field`, toggling direction and keeping the other
    filters. The column the rows are ordered by first says so with aria-sort (the arrow is
    for the eye)."""
    from django.http import QueryDict

    params = QueryDict(query, mutable=True)
    params["sort"] = f"-{field}" if current == field else field
    first = current.split(",")[0]
    direction = {field: ("ascending", "▲"), f"-{field}": ("descending", "▼")}.get(first)
    css_attr = format_html(' class="{}"', css) if css else ""
    if direction is None:
        return format_html('<th scope="col"{}><a href="?{}">{}</a></th>', css_attr, params.urlencode(), label)
    return format_html(
        '<th scope="col"{} aria-sort="{}"><a href="?{}">{} <span aria-hidden="true">{}</span></a></th>',
        css_attr, direction[0], params.urlencode(), label, direction[1],
    )


@register.simple_tag
def page_link(query: str, page: int) -> str:
    return f"?{query}&page={page}" if query else f"?page={page}"


MAX_TREE_DEPTH = 64


def _counted(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def _json_node(value, depth: int) -> SafeString:
    # Every leaf goes through format_html, so user data in the context is always escaped.
    if depth > MAX_TREE_DEPTH and isinstance(value, (dict, list)):
        # Input is refused deeper than this; older data still renders, as compact JSON.
        return format_html('<span class="str">{}</span>', json.dumps(value, ensure_ascii=False))
    if isinstance(value, dict):
        if not value:
            return mark_safe('<span class="lit">{}</span>')
        items = format_html_join(
            "", "<li><span class=\"key\">{}</span>: {}</li>", ((k, _json_node(v, depth + 1)) for k, v in value.items())
        )
        return format_html(
            '<details{}><summary>{{…}} {}</summary><ul class="list-unstyled ms-3 mb-0">{}</ul></details>',
            " open" if depth < 2 else "",
            _counted(len(value), "key"),
            items,
        )
    if isinstance(value, list):
        if not value:
            return mark_safe('<span class="lit">[]</span>')
        items = format_html_join("", "<li><span class=\"key\">{}</span>: {}</li>", ((i, _json_node(v, depth + 1)) for i, v in enumerate(value)))
        return format_html(
            '<details{}><summary>[…] {}</summary><ul class="list-unstyled ms-3 mb-0">{}</ul></details>',
            " open" if depth < 2 else "",
            _counted(len(value), "item"),
            items,
        )
    if isinstance(value, str):
        return format_html('<span class="str">{}</span>', json.dumps(value, ensure_ascii=False))
    if isinstance(value, bool) or value is None:
        return format_html('<span class="lit">{}</span>', json.dumps(value))
    return format_html('<span class="num">{}</span>', json.dumps(value))


@register.filter
def json_tree(value) -> SafeString:
    """Readable, collapsible JSON (nested <details>), escaped throughout."""
    return format_html('<div class="json-tree">{}</div>', _json_node(value, 0))


@register.filter
def pretty_json(value) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False, sort_keys=True)


@register.filter
def get_item(mapping, key):
    """`labels|get_item:name`: the mapping's value for the key, else the key itself."""
    return mapping.get(key, key) if isinstance(mapping, dict) else key


DECISION_KEYS = ("reason", "comment")


@register.filter
def without_decision(payload):
    """A payload without the reason and comment, which the history shows as text."""
    return {k: v for k, v in payload.items() if k not in DECISION_KEYS} if isinstance(payload, dict) else payload


@register.filter
def views_of(saved_views, queue_id) -> list:
    """`saved_views|views_of:queue.pk`: the saved views listed under that queue (none: [])."""
    return saved_views.get(queue_id, []) if isinstance(saved_views, dict) else []
