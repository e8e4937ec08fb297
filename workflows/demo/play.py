"""Plays the demo's case scripts (workflows.demo.cases) through the services the pages, the API
and the worker use: every history row, webhook delivery and plugin run is what a person, an
integration or the worker would have produced.

Each step happens at its own time, hours or days ago: while it runs, the clock
(`django.utils.timezone.now`, which every service and every `auto_now` field reads) is set back
to the step's moment, so each row is written once with the time it would have had (history is
append-only, and a case's due time follows from its creation time as it does for any case).
The clock is set back only inside `load_demo`'s steps and always restored."""

import random
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from unittest import mock

from django.contrib.auth import get_user_model
from django.db.models import DateTimeField, ExpressionWrapper, F
from django.utils import timezone

from projects.models import ACTING_ROLES, Membership
from projects.services import api_key_create
from workflows.actors import SYSTEM, Actor
from workflows.errors import WorkflowFailed
from workflows.four_eyes import decision_confirm, decision_return
from workflows.models import WorkflowDefinition, WorkflowDefinitionVersion, WorkflowRuntime
from workflows.case_work import case_add_note, case_assign
from workflows.services import workflow_send_event, workflow_start
from workflows.sla import sla_hours

from .cases import DEMO_CASES, INTEGRATION, SEED, WORKER, DemoCase, Step

INTEGRATION_KEY_NAME = "Partner onboarding portal (demo)"


@dataclass
class DemoLoad:
    started: int = 0  # cases started by the scripts (their UBOs' cases not counted)
    skipped: list = field(default_factory=list)  # (entity id, why)


@contextmanager
def clock_at(moment):
    """`timezone.now()` reads `moment` (running on from there) until the block ends."""
    real_now = timezone.now
    began = real_now()
    with mock.patch.object(timezone, "now", lambda: moment + (real_now() - began)):
        yield


class _Player:
    def __init__(self, project, users: dict):
        self.project = project
        self.users = users
        self.rng = random.Random(SEED)
        self.now = timezone.now()
        self._integration = None

    def actor(self, who: str) -> Actor:
        if who == INTEGRATION:
            if self._integration is None:
                api_key, _ = api_key_create(project=self.project, name=INTEGRATION_KEY_NAME)
                self._integration = Actor(api_key=api_key)
            return self._integration
        if who == WORKER:
            return SYSTEM
        return Actor(user=self.users[who])

    def moments(self, case: DemoCase):
        """When the case was started and when each step happened: the script's hours with a
        few minutes of (seeded) jitter, in order, all in the past."""
        latest = self.now - timedelta(minutes=1)
        started = min(self.now - timedelta(hours=case.age, minutes=self.rng.randint(-5, 5)), latest)
        times, previous = [], started
        for step in case.steps:
            moment = started + timedelta(hours=step.at, minutes=self.rng.randint(0, 9))
            previous = min(max(moment, previous + timedelta(seconds=30)), latest)
            times.append(previous)
        return started, times

    def play(self, case: DemoCase) -> WorkflowRuntime:
        started, times = self.moments(case)
        with clock_at(started):
            context = case.context(self.project) if callable(case.context) else case.context
            runtime = workflow_start(project=self.project, workflow_id=case.key, context=context, actor=SYSTEM).runtime
        for step, moment in zip(case.steps, times):
            with clock_at(moment):
                self.step(runtime, step)
        return runtime

    def step(self, runtime: WorkflowRuntime, step: Step) -> None:
        project, actor, args = self.project, self.actor(step.who), step.args
        if step.action == "assign":
            case_assign(project=project, runtime_id=runtime.pk, assignee=self.users[args[0]], actor=actor)
        elif step.action == "note":
            case_add_note(project=project, runtime_id=runtime.pk, text=args[0], actor=actor)
        elif step.action == "event":
            self.send(runtime.pk, args[0], args[1], actor)
        elif step.action == "confirm":
            decision_confirm(project=project, runtime_id=runtime.pk, actor=actor)
        elif step.action == "send_back":
            decision_return(project=project, runtime_id=runtime.pk, actor=actor, reason=args[0])
        elif step.action == "document":
            self.document(runtime, *args, actor=actor)
        elif step.action == "plugins":
            self.run_plugins(runtime)
        elif step.action == "child":
            entity_id, name, payload = args
            child = WorkflowRuntime.objects.get(project=project, parent_runtime=runtime, entity__correlation_id=entity_id)
            self.send(child.pk, name, payload, actor)
        else:
            raise ValueError(f"Unknown demo step '{step.action}'.")

    def send(self, runtime_id, name, payload, actor):
        try:
            workflow_send_event(project=self.project, runtime_id=runtime_id, name=name, payload=payload, actor=actor)
        except WorkflowFailed:
            pass  # the case is marked failed, with the reason in its history: what the script shows

    def document(self, runtime, index, decision, reason, *, actor):
        from documents.decisions import document_decide

        runtime.refresh_from_db(fields=["context"])
        document_id = runtime.context["documents"][index]["id"]
        document_decide(project=self.project, runtime_id=runtime.pk, document_id=document_id, decision=decision, reason=reason, actor=actor)

    def run_plugins(self, runtime):
        """What the worker does with the case's queued runs, one attempt each, in order."""
        from automation.models import PluginRun, PluginRunStatus
        from automation.services import plugin_run_attempt

        runs = PluginRun.objects.filter(runtime=runtime, status=PluginRunStatus.QUEUED).order_by("entry", "position", "created_at")
        for run in runs:
            if not starts_children_only(runtime.definition_version.extensions, run.plugin_name):
                raise ValueError(f"The demo does not run plugin '{run.plugin_name}' at load time: it may call a vendor.")
            plugin_run_attempt(run_id=run.pk)


def starts_children_only(extensions, plugin_name: str) -> bool:
    """Whether the plugin only starts child cases (a child plugin, or an iterative one whose
    action is a child plugin): no request goes out, so the demo may run it while loading."""
    from automation.models import PluginList
    from automation.queueing import plugin_declaration

    found = plugin_declaration(extensions, plugin_name)
    if found is None:
        return False
    list_name, plugin = found
    if list_name == PluginList.CHILD:
        return True
    if plugin.get("pluginKind") == "iterative":
        action = plugin_declaration(extensions, plugin.get("actionPluginName"))
        return action is not None and action[0] == PluginList.CHILD
    return False


def acting_demo_users(project, usernames) -> dict:
    """The demo users who may act in `project` (operators and admins), by user name."""
    members = Membership.objects.filter(project=project, role__in=ACTING_ROLES, user__username__in=usernames).values_list("user_id", flat=True)
    return {user.get_username(): user for user in get_user_model().objects.filter(pk__in=list(members))}


def demo_cases_play(project, cases=DEMO_CASES) -> DemoLoad:
    """Starts and plays every demo case whose definition the project has and whose people may
    act in it (with `load_demo --no-users` on a new database, the cases that need the demo
    operators are left out). Call inside a transaction, into a project without cases."""
    keys = set(WorkflowDefinition.objects.filter(project=project).values_list("key", flat=True))
    users = acting_demo_users(project, set().union(*(case.people for case in cases)))
    player, result = _Player(project, users), DemoLoad()
    for case in cases:
        entity_id = case.context["entity"]["id"] if isinstance(case.context, dict) else None
        missing = case.people - set(users)
        if case.key not in keys:
            result.skipped.append((entity_id, f"no definition {case.key}"))
            continue
        if missing:
            result.skipped.append((entity_id, "needs " + ", ".join(sorted(missing))))
            continue
        player.play(case)
        result.started += 1
    due_times_align(project)
    return result


def due_times_align(project) -> None:
    """Each case's due time is its creation time plus its version's `slaHours`, to the
    microsecond (the case was stamped a moment after its due time was computed)."""
    versions = WorkflowDefinitionVersion.objects.filter(definition__project=project).values_list("pk", "config")
    for version_id, config in versions:
        hours = sla_hours(config)
        if hours is None:
            continue
        WorkflowRuntime.objects.filter(project=project, definition_version_id=version_id).update(
            due_at=ExpressionWrapper(F("created_at") + timedelta(hours=hours), output_field=DateTimeField())
        )
