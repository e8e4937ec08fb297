"""Age and due time of a case as the queue and the case page show them (slaHours)."""

from datetime import timedelta

from django import template
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from workflows.models import RuntimeStatus

register = template.Library()


def span_label(delta: timedelta) -> str:
    """A length of time in its largest sensible unit: "12 min", "5 h", "3 d"."""
    seconds = max(int(abs(delta.total_seconds())), 0)
    if seconds < 3600:
        return f"{max(seconds // 60, 1)} min"
    if seconds < 48 * 3600:
        return f"{seconds // 3600} h"
    return f"{seconds // 86400:,} d"


def due_text(due_at, now=None) -> tuple[str, bool]:
    """("due in 5 h", False) or ("overdue by 2 d", True)."""
    now = now or timezone.now()
    if due_at > now:
        return f"due in {span_label(due_at - now)}", False
    return f"overdue by {span_label(now - due_at)}", True


@register.simple_tag
def case_age(case) -> SafeString:
    return format_html(
        '<span class="case-age" title="Created {}">{}</span>',
        timezone.localtime(case.created_at).strftime("%Y-%m-%d %H:%M"), span_label(timezone.now() - case.created_at),
    )


@register.simple_tag
def case_due(case) -> SafeString:
    """The due time of an open case with one ("" otherwise): overdue in red, with the time."""
    if case.status != RuntimeStatus.ACTIVE or case.due_at is None:
        return mark_safe("")
    text, overdue = due_text(case.due_at)
    when = timezone.localtime(case.due_at)
    if overdue:
        return format_html(
            '<span class="badge text-bg-danger case-due case-overdue" title="Due {}">{}</span>', when.strftime("%Y-%m-%d %H:%M"), text
        )
    return format_html('<span class="case-due" title="Due {}">{}</span>', when.strftime("%Y-%m-%d %H:%M"), text)
