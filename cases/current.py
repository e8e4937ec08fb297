"""The project a signed-in user is working in: one of their memberships, chosen in the session."""

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied

from projects.models import Membership, Project

from .selectors import queue_list

SESSION_KEY = "current_project"


@dataclass
class CurrentProject:
    project: Project
    membership: Membership
    memberships: list[Membership]

    @property
    def can_act(self) -> bool:
        return self.membership.can_act


def current_project(request) -> CurrentProject:
    """Raises PermissionDenied for a user who is a member of no project."""
    if hasattr(request, "_current_project"):
        return request._current_project
    memberships = list(
        Membership.objects.filter(user=request.user).select_related("project").order_by("project__name")
    )
    if not memberships:
        raise PermissionDenied("You are not a member of any project. Ask an admin to add you.")
    chosen = request.session.get(SESSION_KEY)
    membership = next((m for m in memberships if m.project.slug == chosen), memberships[0])
    request._current_project = CurrentProject(membership.project, membership, memberships)
    return request._current_project


def switch_project(request, slug: str) -> bool:
    if any(m.project.slug == slug for m in current_project(request).memberships):
        request.session[SESSION_KEY] = slug
        del request._current_project
        return True
    return False


def project_queues(request) -> list:
    """The current project's queues with their definitions, read once per request: the menu
    and the case page's previous/next links both need them."""
    if not hasattr(request, "_project_queues"):
        request._project_queues = queue_list(project=current_project(request).project)
    return request._project_queues
