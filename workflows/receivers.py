"""Keeps the cases' copy of their assignee's user name (the queues filter and sort on it) in
step when a user is renamed or deleted, which the admin or a command may do at any time."""

from django.contrib.auth import get_user_model
from django.db.models.signals import post_save, pre_delete


def _assignee_renamed(sender, instance, created, update_fields=None, **kwargs):
    if created or (update_fields is not None and "username" not in update_fields):
        return  # a new user has no cases; a login writes only last_login
    from .models import WorkflowRuntime

    username = instance.get_username()
    WorkflowRuntime.objects.filter(assignee=instance).exclude(assignee_username=username).update(assignee_username=username)


def _assignee_deleted(sender, instance, **kwargs):
    # The deletion unassigns the cases (SET_NULL) with an UPDATE that no save() sees.
    from .models import WorkflowRuntime

    WorkflowRuntime.objects.filter(assignee=instance).update(assignee_username=None)


def connect():
    user = get_user_model()
    post_save.connect(_assignee_renamed, sender=user, dispatch_uid="workflows.assignee_renamed")
    pre_delete.connect(_assignee_deleted, sender=user, dispatch_uid="workflows.assignee_deleted")
