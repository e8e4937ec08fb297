from workflows.models import WorkflowRuntime


def case_post(client, runtime, action, data=None, **kwargs):
    """POST a case form as the page sends it: with the version of the case it showed (the
    case as stored now)."""
    version = WorkflowRuntime.objects.values_list("version", flat=True).get(pk=runtime.pk)
    return client.post(f"/cases/{runtime.pk}/{action}/", {"version": version, **(data or {})}, **kwargs)
