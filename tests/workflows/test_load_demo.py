"""`load_demo` (what `make run` runs each time) loads its demo data once and never replaces what
an admin changed."""

import functools
import io
import json
import shutil
from datetime import datetime, timedelta
from datetime import timezone as dt_timezone

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.utils import timezone

from cases.models import Queue
from projects.models import ApiKey, Membership, Project, Role
from projects.selectors import api_key_authenticate
from workflows import definition_files
from workflows.definition_files import DEMO_DIR
from workflows.demo import cases as demo_cases
from workflows.demo.play import demo_cases_play
from workflows.errors import ServiceError
from workflows.management.commands import load_demo as command
from workflows.models import WorkflowDefinition, WorkflowDefinitionVersion, WorkflowRuntime
from workflows.definitions import definition_save, definition_version_update

from ..factories import demo_case_start

KYB = "till_basic_kyb_demo"
SKIPPED_LINE = f"Skipped {KYB}: version 2 was changed in the admin; the demo file was not loaded."


FAST_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # four demo users: PBKDF2 would take seconds


@pytest.fixture(autouse=True)
def _debug(settings):
    settings.DEBUG = True  # the demo users are only created with DEBUG on
    settings.PASSWORD_HASHERS = FAST_HASHERS


def load_demo(*args) -> str:
    out = io.StringIO()
    call_command("load_demo", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def default_project() -> Project:
    return Project.objects.get(slug="default")


def kyb_versions() -> list[int]:
    return sorted(WorkflowDefinitionVersion.objects.filter(definition__key=KYB).values_list("version", flat=True))


def newest_kyb() -> WorkflowDefinitionVersion:
    return WorkflowDefinitionVersion.objects.filter(definition__key=KYB).order_by("-version").first()


def row_counts() -> dict:
    User = get_user_model()
    return {
        "projects": Project.objects.count(),
        "users": User.objects.count(),
        "memberships": Membership.objects.count(),
        "definitions": WorkflowDefinition.objects.count(),
        "versions": WorkflowDefinitionVersion.objects.count(),
        "queues": Queue.objects.count(),
        "queue definitions": Queue.definitions.through.objects.count(),
        "cases": WorkflowRuntime.objects.count(),
    }


def with_escalated_state(statechart: dict) -> dict:
    statechart = json.loads(json.dumps(statechart))
    statechart["states"]["escalated"] = {"tags": ["escalated"], "on": {"approve": "approved", "reject": "rejected"}}
    statechart["states"]["manual_review"]["on"]["escalate"] = "escalated"
    return statechart


def admin_edit(version: WorkflowDefinitionVersion) -> WorkflowDefinitionVersion:
    """What saving the version in the admin with an added `escalated` state does."""
    return definition_version_update(
        version=version,
        statechart=with_escalated_state(version.statechart),
        context_schema=version.context_schema,
        config=version.config,
        extensions=version.extensions,
    ).version


@pytest.fixture
def changed_demo_dir(tmp_path, monkeypatch):
    """The demo files as a later release might ship them: the KYB file gains a tag."""
    for path in DEMO_DIR.glob("*.json"):
        shutil.copy(path, tmp_path / path.name)
    kyb_file = tmp_path / f"{KYB}.json"
    document = json.loads(kyb_file.read_text(encoding="utf-8"))
    document["statechart"]["states"]["revision"]["tags"].append("waiting")
    kyb_file.write_text(json.dumps(document), encoding="utf-8")

    def use_changed_files():
        monkeypatch.setattr(definition_files, "DEMO_DIR", tmp_path)

    return use_changed_files


# --- loaded once -------------------------------------------------------------------------------


def test_running_load_demo_twice_leaves_every_row_count_but_the_api_keys_as_it_was(db):
    load_demo()
    before = row_counts()
    keys = ApiKey.objects.count()
    load_demo()
    assert row_counts() == before
    assert ApiKey.objects.count() == keys + 1


def test_a_second_load_demo_still_prints_a_fresh_api_key_as_its_last_line(db):
    first = load_demo("--no-cases").strip().splitlines()[-1].strip()
    second = load_demo("--no-cases").strip().splitlines()[-1].strip()
    assert second != first
    assert api_key_authenticate(second).project.slug == "default"


def test_load_demo_prints_the_logins_and_webhook_secret_just_before_the_api_key(db):
    lines = load_demo("--no-cases").strip().splitlines()
    assert lines[-2:-1] == ["API key for project 'default' (shown once):"]
    assert "Webhook signing secret" in lines[-3] and default_project().webhook_secret in lines[-3]
    assert lines[-7:-3] == ["Login: admin / admin", "Login: operator / operator", "Login: alice / alice", "Login: bob / bob"]


# --- definitions -------------------------------------------------------------------------------


def test_an_admin_edit_that_made_version_two_survives_a_second_load_demo(db):
    load_demo("--no-cases")
    demo_case_start(default_project())  # version 1 is in use, so the edit becomes version 2
    edited = admin_edit(newest_kyb())
    assert edited.version == 2
    load_demo("--no-cases")
    assert kyb_versions() == [1, 2]
    assert "escalated" in newest_kyb().statechart["states"]


def test_new_cases_start_on_the_admins_version_after_a_second_load_demo(db):
    load_demo("--no-cases")
    demo_case_start(default_project(), entity_id="first")
    admin_edit(newest_kyb())
    load_demo("--no-cases")
    case = demo_case_start(default_project(), entity_id="second")
    assert case.definition_version.version == 2
    assert "escalate" in case.definition_version.statechart["states"]["manual_review"]["on"]


def test_load_demo_says_it_skipped_the_definition_an_admin_changed(db):
    load_demo("--no-cases")
    demo_case_start(default_project())
    admin_edit(newest_kyb())
    out = load_demo("--no-cases")
    assert SKIPPED_LINE in out.splitlines()


def test_an_admin_edit_in_place_of_an_unused_version_survives_load_demo(db):
    load_demo("--no-cases")
    edited = admin_edit(newest_kyb())  # no case uses version 1: it is edited in place
    assert edited.version == 1
    out = load_demo("--no-cases")
    assert kyb_versions() == [1]
    assert "escalated" in newest_kyb().statechart["states"]
    assert f"Skipped {KYB}: version 1 was changed in the admin; the demo file was not loaded." in out


def test_an_admin_edit_survives_a_changed_demo_file_too(db, changed_demo_dir):
    load_demo("--no-cases")
    demo_case_start(default_project())
    admin_edit(newest_kyb())
    changed_demo_dir()
    out = load_demo("--no-cases")
    assert kyb_versions() == [1, 2]
    assert "escalated" in newest_kyb().statechart["states"]
    assert SKIPPED_LINE in out.splitlines()


def test_a_changed_demo_file_over_an_untouched_definition_makes_a_new_version(db, changed_demo_dir):
    load_demo("--no-cases")
    changed_demo_dir()
    out = load_demo("--no-cases")
    assert kyb_versions() == [1, 2]
    assert newest_kyb().statechart["states"]["revision"]["tags"] == ["revision", "waiting"]
    assert f"Definition {KYB} v2 (new version: the demo file changed)" in out.splitlines()


def test_a_demo_definition_loaded_before_versions_were_marked_still_takes_a_changed_demo_file(db, changed_demo_dir):
    project = Project.objects.create(slug="default", name="Default")
    document = json.loads((DEMO_DIR / f"{KYB}.json").read_text(encoding="utf-8"))
    definition_save(  # as the loader wrote it before it marked its versions
        project=project, key=KYB, name=document["name"], statechart=document["statechart"],
        context_schema=document.get("contextSchema"), config=document.get("config"),
    )
    load_demo("--no-cases")
    changed_demo_dir()
    load_demo("--no-cases")
    assert kyb_versions() == [1, 2]


def test_a_definition_an_admin_renamed_keeps_its_name_through_load_demo(db):
    load_demo("--no-cases")
    WorkflowDefinition.objects.filter(key=KYB).update(name="Businesses (our copy)")
    load_demo("--no-cases")
    assert WorkflowDefinition.objects.get(key=KYB).name == "Businesses (our copy)"


# --- queues --------------------------------------------------------------------------------------


def test_a_demo_queue_an_admin_changed_keeps_its_changes_through_load_demo(db):
    load_demo("--no-cases")
    Queue.objects.filter(slug="businesses-onboarding").update(name="KYB", statuses=[], position=7)
    load_demo("--no-cases")
    queue = Queue.objects.get(slug="businesses-onboarding")
    assert (queue.name, queue.statuses, queue.position) == ("KYB", [], 7)


def test_a_demo_queue_an_admin_took_a_definition_from_stays_without_it(db):
    load_demo("--no-cases")
    Queue.objects.get(slug="businesses-onboarding").definitions.clear()
    load_demo("--no-cases")
    assert not Queue.objects.get(slug="businesses-onboarding").definitions.exists()


# --- users ---------------------------------------------------------------------------------------


def test_a_changed_demo_password_survives_load_demo(db):
    load_demo("--no-cases")
    admin = get_user_model().objects.get(username="admin")
    admin.set_password("a much better password")
    admin.save()
    load_demo("--no-cases")
    admin.refresh_from_db()
    assert admin.check_password("a much better password")
    assert not admin.check_password("admin")


def test_a_changed_demo_role_survives_load_demo(db):
    load_demo("--no-cases")
    Membership.objects.filter(user__username="operator").update(role=Role.VIEWER)
    load_demo("--no-cases")
    assert Membership.objects.get(user__username="operator").role == Role.VIEWER


def test_load_demo_says_it_kept_the_existing_demo_users(db):
    load_demo("--no-cases")
    out = load_demo("--no-cases")
    assert "Login: admin (kept; the password is 'admin' unless it was changed)" in out.splitlines()
    assert "Login: operator (kept; the password is 'operator' unless it was changed)" in out.splitlines()
    assert "admin / admin" not in out


def test_without_the_demo_users_only_the_cases_nobody_works_are_started(db):
    out = load_demo("--no-users", "--no-api-key")
    assert "Demo cases: 15 started (0 more for their UBOs)" in out.splitlines()
    assert "Demo cases left out: 30 (their operators are not members who may act, or their workflow is missing)" in out.splitlines()
    assert not WorkflowRuntime.objects.filter(assignee__isnull=False).exists()
    assert get_user_model().objects.count() == 0


def test_a_demo_step_the_services_refuse_loads_nothing_and_restores_the_clock(db, monkeypatch):
    broken = demo_cases.DemoCase(
        demo_cases.BUSINESS,
        demo_cases._business("demo-broken", "Broken Ltd", "GB", "1", "A", "B", "a@example.com"),
        5,
        (demo_cases.confirm(1, "alice"),),  # nothing awaits a second approval
    )
    monkeypatch.setattr(command, "demo_cases_play", functools.partial(demo_cases_play, cases=demo_cases.DEMO_CASES[:2] + [broken]))
    with pytest.raises(ServiceError, match="No decision awaits a second approval"):
        load_demo("--no-api-key")
    assert WorkflowRuntime.objects.count() == 0
    assert Project.objects.count() == 0
    assert abs(timezone.now() - datetime.now(dt_timezone.utc)) < timedelta(seconds=5)


def test_a_demo_step_that_would_call_a_vendor_while_loading_is_refused_and_loads_nothing(db, monkeypatch):
    calling = demo_cases.DemoCase(
        demo_cases.AUTOMATED,
        demo_cases._business("demo-calling", "Calling Ltd", "GB", "11223347", "A", "B", "a@example.com"),
        5,
        (demo_cases.plugins(1),),  # the registry check goes to the sandbox vendor: the worker's job
    )
    monkeypatch.setattr(command, "demo_cases_play", functools.partial(demo_cases_play, cases=[calling]))
    with pytest.raises(ValueError, match="does not run plugin 'registry' at load time"):
        load_demo("--no-api-key")
    assert WorkflowRuntime.objects.count() == 0
