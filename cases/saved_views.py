"""Saved views: a queue's filters and sort under a name, for oneself or (admins) the project."""

from django.db import IntegrityError, transaction
from django.http import QueryDict

from projects.models import Role
from workflows.errors import FieldError, NotFound, PermissionDenied, ValidationFailed
from workflows.json_values import text_problem

from .models import Queue, SavedView

NAME_MAX_LENGTH = 80


class Scope:
    PERSONAL = "personal"
    PROJECT = "project"


def normalised_query(case_filter) -> str:
    """The filters and sort of a bound CaseFilter as a query string, in the filter's own field
    order: only its fields, without the page, empty values or the values it ignored as invalid.
    Opening the view runs the queue's filter on it again, so a later change of the filters
    (a state removed) is reported there as for any bookmark."""
    given = QueryDict(case_filter.link_query())
    query = QueryDict(mutable=True)
    for name in case_filter.form.fields:
        values = [value.strip() for value in given.getlist(name) if value.strip()]
        if values:
            query.setlist(name, values)
    return query.urlencode()


def _role(user, membership) -> str | None:
    return Role.ADMIN if user.is_superuser else getattr(membership, "role", None)


def saved_view_create(*, project, queue: Queue, user, membership, name: str, scope: str, case_filter) -> SavedView:
    """Saves the filter's current view under `name`. Any member may save a view for
    themselves (it changes no case); only an admin for the whole project."""
    name = " ".join((name or "").split())
    errors = []
    if not name:
        errors.append(FieldError("name", "Give the view a name."))
    elif len(name) > NAME_MAX_LENGTH:
        errors.append(FieldError("name", f"At most {NAME_MAX_LENGTH} characters."))
    elif text_problem(name):
        errors.append(FieldError("name", text_problem(name)))
    if scope not in (Scope.PERSONAL, Scope.PROJECT):
        errors.append(FieldError("scope", "Choose “for me” or “for the project”."))
    if errors:
        raise ValidationFailed(errors)
    if scope == Scope.PROJECT and _role(user, membership) != Role.ADMIN:
        raise PermissionDenied("Only admins save views for the whole project.")
    owner = user if scope == Scope.PERSONAL else None
    try:
        with transaction.atomic():
            return SavedView.objects.create(
                project=project, queue=queue, owner=owner, name=name, query=normalised_query(case_filter), created_by=user
            )
    except IntegrityError:
        whose = "You already have" if owner else "The project already has"
        raise ValidationFailed([FieldError("name", f"{whose} a view named “{name}” in {queue.name}.")]) from None


def saved_view_delete(*, project, user, membership, view_id) -> SavedView:
    """Deletes one of the user's own views, or (admins) one of the project's. Another person's
    view is not found, as it is not shown."""
    view = SavedView.objects.select_related("queue").filter(project=project, pk=view_id).first()
    if view is None or (view.owner_id is not None and view.owner_id != user.pk):
        raise NotFound("No such view.")
    if view.owner_id is None and _role(user, membership) != Role.ADMIN:
        raise PermissionDenied("Only admins delete the project's views.")
    view.delete()
    return view

