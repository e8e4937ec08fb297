"""Queueing plugin runs in the transaction of the change that moved a case (SPEC section 10).

Imports only models: the case services call this from inside their transactions."""

from django.utils import timezone

from .declarations import RUN_ORDER, plugin_declaration, plugins_for_state  # noqa: F401 (public names of this module)
from .models import BLOCKING_STATUSES, PluginList, PluginRun, PluginRunStatus
from .tasks import run_plugin

def _kind(list_name: str, plugin: dict) -> str:
    if list_name == PluginList.API:
        return plugin.get("pluginKind") or "api"
    if list_name == PluginList.CHILD:
        return "child"
    if list_name == PluginList.DISPATCH:
        return "dispatch"
    return plugin.get("pluginKind") or ""


def plugin_runs_queue(runtime, plugins=None, *, requested_by_label: str = "") -> list[PluginRun]:
    """Writes the runs of the plugins of the state the case rests in (or `plugins`, a list of
    (list, declaration)), for its current entry, and queues the first of the case's runs
    when no earlier run of it is still to finish. Call after the case is saved, inside the
    change's transaction, with the case locked."""
    if plugins is None:
        plugins = plugins_for_state(runtime.definition_version.extensions, runtime.state)
    if not plugins:
        return []
    last = (
        PluginRun.objects.filter(runtime=runtime, entry=runtime.state_entry)
        .order_by("-position")
        .values_list("position", flat=True)
        .first()
    )
    start = 0 if last is None else last + 1
    now = timezone.now()
    runs = [
        PluginRun(
            project_id=runtime.project_id,
            runtime=runtime,
            plugin_name=plugin["name"],
            plugin_list=list_name,
            plugin_kind=_kind(list_name, plugin),
            display_name=(plugin.get("displayName") or "")[:200],
            state=runtime.state,
            entry=runtime.state_entry,
            position=start + offset,
            next_attempt_at=now,
            requested_by_label=requested_by_label,
        )
        for offset, (list_name, plugin) in enumerate(plugins)
    ]
    blocked = PluginRun.objects.filter(runtime=runtime, status__in=BLOCKING_STATUSES).exists()
    PluginRun.objects.bulk_create(runs)
    if not blocked:
        run_plugin.enqueue(str(runs[0].pk))
    return runs


def next_run_release(runtime_id) -> PluginRun | None:
    """Queues the case's next run to do, if any. Called in the transaction that finished a
    run, with the case locked, so its task commits with that outcome."""
    following = (
        PluginRun.objects.filter(runtime_id=runtime_id, status=PluginRunStatus.QUEUED)
        .order_by("entry", "position", "created_at")
        .first()
    )
    if following is not None:
        run_plugin.enqueue(str(following.pk))
    return following
