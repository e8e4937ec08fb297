from django.test import Client

from projects.models import Role
from workflows.models import WorkflowRuntime

from ..factories import MembershipFactory, UserFactory


def case_post(client, runtime, action, data=None, **kwargs):
    """POST a case form as the page sends it: with the version of the case it showed (the
    case as stored now)."""
    version = WorkflowRuntime.objects.values_list("version", flat=True).get(pk=runtime.pk)
    return client.post(f"/cases/{runtime.pk}/{action}/", {"version": version, **(data or {})}, **kwargs)


def client_for(user):
    """A client logged in as `user`."""
    client = Client()
    client.force_login(user)
    return client


def member(project, username, role=Role.OPERATOR):
    """A new user who is a member of `project` with `role`."""
    return MembershipFactory(project=project, user=UserFactory(username=username), role=role).user
