"""Reads of plugin runs, scoped to the caller's project."""

from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from .models import PluginRun, PluginRunStatus


def plugin_run_list(*, project, runtime_id) -> list[PluginRun]:
    """A case's runs, oldest first (one query). `project`: a project or its id."""
    return list(PluginRun.objects.filter(project=project, runtime_id=runtime_id).order_by("entry", "position", "created_at"))


def callback_overdue(run: PluginRun, now=None) -> bool:
    """A run still waiting for its vendor's callback past PLUGIN_CALLBACK_TIMEOUT_HOURS."""
    if run.status != PluginRunStatus.WAITING or run.finished_at is None:
        return False
    now = now or timezone.now()
    return run.finished_at + timedelta(hours=settings.PLUGIN_CALLBACK_TIMEOUT_HOURS) < now


BADGES = {
    PluginRunStatus.QUEUED: "secondary",
    PluginRunStatus.RUNNING: "info",
    PluginRunStatus.WAITING: "warning",
    PluginRunStatus.SUCCEEDED: "success",
    PluginRunStatus.FAILED: "danger",
    PluginRunStatus.STALE: "light",
}


def automation_panel(*, runtime, can_act: bool) -> dict:
    """What the case page's Automation panel shows (one query). Run again is offered on the
    newest run of each plugin of the state the open case is in, once that run is over."""
    from .queueing import plugins_for_state  # models only; no cycle with the services

    runs = plugin_run_list(project=runtime.project_id, runtime_id=runtime.pk) if runtime.pk else []
    listed = {plugin.get("name") for _, plugin in plugins_for_state(runtime.definition_version.extensions, runtime.state)}
    busy = {run.plugin_name for run in runs if run.status in (PluginRunStatus.QUEUED, PluginRunStatus.RUNNING)}
    newest = {run.plugin_name: run.pk for run in runs}
    now = timezone.now()
    return {
        "runs": [
            {
                "run": run,
                "badge": BADGES.get(run.status, "secondary"),
                "callback_overdue": callback_overdue(run, now),
                "can_run_again": can_act
                and runtime.is_open
                and run.plugin_name in listed
                and run.plugin_name not in busy
                and newest[run.plugin_name] == run.pk,
            }
            for run in runs
        ],
        "callback_hours": f"{settings.PLUGIN_CALLBACK_TIMEOUT_HOURS:g}",
    }
