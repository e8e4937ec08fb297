from django.core.exceptions import PermissionDenied

from workflows.models import EntityKind

from .current import current_project, project_queues
from .selectors import count_label, queue_menu_counts, saved_views_menu

MENU_GROUPS = ((EntityKind.BUSINESS, "Businesses"), (EntityKind.INDIVIDUAL, "Individuals"))


def navigation(request):
    """The queue menu (grouped, with open-case counts) and the project switcher."""
    if not getattr(request, "user", None) or not request.user.is_authenticated:
        return {}
    if request.path.startswith(("/admin/", "/api/")):
        return {}
    try:
        current = current_project(request)
    except PermissionDenied:
        return {}
    queues = project_queues(request)
    counts = queue_menu_counts(project=current.project, queues=queues)
    for queue in queues:  # shown beside the open count when there are any (slaHours)
        queue.overdue_label = count_label(counts[queue.pk][1]) if counts[queue.pk][1] else ""
    menu = [
        (label, [(queue, count_label(counts[queue.pk][0])) for queue in queues if queue.entity_kind == kind])
        for kind, label in MENU_GROUPS
    ]
    return {
        "current": current,
        "queue_menu": [group for group in menu if group[1]],
        # Under each queue in the menu, and on its page: the project's and one's own (one query).
        "saved_views": saved_views_menu(project=current.project, user=request.user),
    }
