import io
import json
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.utils import timezone

from cases.models import Queue
from projects.models import ApiKey, Membership, Project, Role
from projects.selectors import api_key_authenticate
from workflows.definition_files import DEMO_DIR
from workflows.models import WorkflowDefinition, WorkflowDefinitionVersion
from workflows.definitions import definition_version_update

KYB_DEMO = DEMO_DIR / "till_basic_kyb_demo.json"


def run(name, *args, **options):
    """Run a command; returns (stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    call_command(name, *args, stdout=out, stderr=err, **options)
    return out.getvalue(), err.getvalue()


def run_failing(name, *args, **options):
    """Run a command that must fail; returns (error, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(CommandError) as raised:
        call_command(name, *args, stdout=out, stderr=err, **options)
    return raised.value, out.getvalue(), err.getvalue()


def last_line(text: str) -> str:
    return text.strip().splitlines()[-1].strip()


def row_counts() -> dict:
    return {
        "definitions": WorkflowDefinition.objects.count(),
        "versions": WorkflowDefinitionVersion.objects.count(),
        "queues": Queue.objects.count(),
    }


def kyb_document() -> dict:
    return json.loads(KYB_DEMO.read_text(encoding="utf-8"))


def write_json(tmp_path, document, name="definition.json"):
    path = tmp_path / name
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


# --- create_api_key --------------------------------------------------------------------------


def test_create_api_key_prints_the_raw_key_last_and_it_authenticates(project):
    out, _ = run("create_api_key", "--project", "acme", "--name", "Partner")
    api_key = api_key_authenticate(last_line(out))
    assert api_key is not None
    assert (api_key.project, api_key.name, api_key.expires_at) == (project, "Partner", None)


def test_create_api_key_stores_only_the_hash(project):
    out, _ = run("create_api_key", "--project", "acme")
    raw_key = last_line(out)
    row = ApiKey.objects.values().get()
    assert all(raw_key not in str(value) for value in row.values())


def test_create_api_key_with_expiry_sets_it(project):
    out, _ = run("create_api_key", "--project", "acme", "--expires-in-days", "7")
    api_key = api_key_authenticate(last_line(out))
    expected = timezone.now() + timedelta(days=7)
    assert abs(api_key.expires_at - expected) < timedelta(minutes=1)


def test_create_api_key_for_an_unknown_project_fails_and_creates_no_key(project):
    error, out, _ = run_failing("create_api_key", "--project", "nope")
    assert "nope" in str(error)
    assert "cw_" not in out
    assert ApiKey.objects.count() == 0


def test_create_api_key_refuses_a_non_positive_expiry_and_creates_no_key(project):
    run_failing("create_api_key", "--project", "acme", "--expires-in-days", "0")
    assert ApiKey.objects.count() == 0


# --- load_definitions ------------------------------------------------------------------------


def test_load_definitions_loads_the_demo_file_into_the_project(project):
    out, _ = run("load_definitions", str(KYB_DEMO), "--project", "acme")
    definition = WorkflowDefinition.objects.get(project=project, key="till_basic_kyb_demo")
    assert definition.name == "Till Businesses Onboarding Basic Demo"
    assert list(definition.versions.values_list("version", flat=True)) == [1]
    queue = Queue.objects.get(project=project, name="Businesses Onboarding")
    assert queue.entity_kind == "business"
    assert list(queue.definitions.all()) == [definition]
    assert "till_basic_kyb_demo version 1" in out


def test_load_definitions_stores_the_files_statechart_schema_and_config(project):
    run("load_definitions", str(KYB_DEMO), "--project", "acme")
    document = kyb_document()
    version = WorkflowDefinitionVersion.objects.get()
    assert version.statechart == document["statechart"]
    assert version.context_schema == document.get("contextSchema", {})
    assert version.config == document.get("config", {})


def test_load_definitions_touches_no_other_project(project, other_project):
    run("load_definitions", str(KYB_DEMO), "--project", "acme")
    assert not WorkflowDefinition.objects.filter(project=other_project).exists()
    assert not Queue.objects.filter(project=other_project).exists()


def test_loading_the_same_file_again_adds_no_version(project):
    run("load_definitions", str(KYB_DEMO), "--project", "acme")
    before = row_counts()
    out, _ = run("load_definitions", str(KYB_DEMO), "--project", "acme")
    assert row_counts() == before
    assert "unchanged" in out


def test_loading_a_changed_file_adds_version_two(project, tmp_path):
    run("load_definitions", str(KYB_DEMO), "--project", "acme")
    document = kyb_document()
    document["statechart"]["states"]["revision"]["tags"].append("waiting")
    out, _ = run("load_definitions", str(write_json(tmp_path, document)), "--project", "acme")
    versions = WorkflowDefinitionVersion.objects.filter(definition__key="till_basic_kyb_demo")
    assert sorted(versions.values_list("version", flat=True)) == [1, 2]
    assert versions.get(version=2).statechart["states"]["revision"]["tags"] == ["revision", "waiting"]
    assert versions.get(version=1).statechart == kyb_document()["statechart"]
    assert Queue.objects.count() == 1
    assert "version 2" in out


def admin_edit_with_escalated_state(version):
    """What saving the version in the admin with an added `escalated` state does."""
    statechart = json.loads(json.dumps(version.statechart))
    statechart["states"]["escalated"] = {"on": {"approve": "approved"}}
    return definition_version_update(
        version=version, statechart=statechart, context_schema=version.context_schema,
        config=version.config, extensions=version.extensions,
    ).version


def changed_kyb_file(tmp_path):
    document = kyb_document()
    document["statechart"]["states"]["revision"]["tags"].append("waiting")
    return write_json(tmp_path, document)


def test_load_definitions_does_not_replace_a_version_changed_in_the_admin(project, tmp_path):
    run("load_definitions", str(KYB_DEMO), "--project", "acme")
    admin_edit_with_escalated_state(WorkflowDefinitionVersion.objects.get())
    run_failing("load_definitions", str(changed_kyb_file(tmp_path)), "--project", "acme")
    version = WorkflowDefinitionVersion.objects.get()
    assert "escalated" in version.statechart["states"]
    assert version.statechart["states"]["revision"]["tags"] == ["revision"]


def test_load_definitions_names_the_file_it_skipped_for_an_admin_edit_and_fails(project, tmp_path):
    run("load_definitions", str(KYB_DEMO), "--project", "acme")
    admin_edit_with_escalated_state(WorkflowDefinitionVersion.objects.get())
    path = changed_kyb_file(tmp_path)
    error, _, err = run_failing("load_definitions", str(path), "--project", "acme")
    assert f"{path}: skipped till_basic_kyb_demo: version 1 was changed in the admin" in err
    assert "--replace-edits" in str(error)


def test_load_definitions_with_replace_edits_loads_over_an_admin_edit_as_a_new_version(project, tmp_path):
    run("load_definitions", str(KYB_DEMO), "--project", "acme")
    admin_edit_with_escalated_state(WorkflowDefinitionVersion.objects.get())
    out, _ = run("load_definitions", str(changed_kyb_file(tmp_path)), "--project", "acme", "--replace-edits")
    versions = WorkflowDefinitionVersion.objects.order_by("version")
    assert [v.version for v in versions] == [1, 2]
    assert "escalated" in versions[0].statechart["states"]
    assert versions[1].statechart["states"]["revision"]["tags"] == ["revision", "waiting"]
    assert "version 2 (new version)" in out


def test_load_definitions_into_an_unknown_project_fails_and_writes_nothing(project):
    run_failing("load_definitions", str(KYB_DEMO), "--project", "nope")
    assert row_counts() == {"definitions": 0, "versions": 0, "queues": 0}


def test_file_with_an_unknown_transition_target_is_reported_with_its_path_and_writes_nothing(project, tmp_path):
    document = kyb_document()
    document["statechart"]["states"]["manual_review"]["on"]["approve"] = "approved_typo"
    error, _, err = run_failing("load_definitions", str(write_json(tmp_path, document)), "--project", "acme")
    assert "statechart.states.manual_review.on.approve" in err
    assert "approved_typo" in err
    assert "not loaded" in str(error)
    assert row_counts() == {"definitions": 0, "versions": 0, "queues": 0}


def test_invalid_change_to_a_loaded_file_keeps_the_loaded_version_and_queues(project, tmp_path):
    run("load_definitions", str(KYB_DEMO), "--project", "acme")
    before = row_counts()
    document = kyb_document()
    document["statechart"]["states"]["revision"]["on"]["RESUBMITTED"] = {"target": "nowhere"}
    document["queues"][0]["name"] = "Renamed queue"
    _, _, err = run_failing("load_definitions", str(write_json(tmp_path, document)), "--project", "acme")
    assert "statechart.states.revision.on.RESUBMITTED" in err
    assert row_counts() == before
    assert WorkflowDefinitionVersion.objects.get().statechart == kyb_document()["statechart"]
    assert Queue.objects.get().name == "Businesses Onboarding"


def test_file_with_invalid_json_is_reported_with_its_line_and_writes_nothing(project, tmp_path):
    path = tmp_path / "broken.json"
    path.write_text('{"key": "broken",\n  "statechart": {,}\n}', encoding="utf-8")
    _, _, err = run_failing("load_definitions", str(path), "--project", "acme")
    assert "broken.json" in err
    assert "Not valid JSON" in err
    assert "line 2" in err
    assert row_counts() == {"definitions": 0, "versions": 0, "queues": 0}


def test_file_whose_context_schema_is_not_a_json_schema_is_reported_and_writes_nothing(project, tmp_path):
    document = kyb_document()
    document["contextSchema"] = {"type": "banana"}
    _, _, err = run_failing("load_definitions", str(write_json(tmp_path, document)), "--project", "acme")
    assert "contextSchema.type" in err
    assert row_counts() == {"definitions": 0, "versions": 0, "queues": 0}


def test_file_that_is_not_a_definition_names_the_missing_part(project, tmp_path):
    path = write_json(tmp_path, {"key": "no_statechart"})
    _, _, err = run_failing("load_definitions", str(path), "--project", "acme")
    assert "statechart" in err
    assert row_counts() == {"definitions": 0, "versions": 0, "queues": 0}


def test_missing_file_fails_and_writes_nothing(project, tmp_path):
    _, _, err = run_failing("load_definitions", str(tmp_path / "missing.json"), "--project", "acme")
    assert "missing.json" in err
    assert row_counts() == {"definitions": 0, "versions": 0, "queues": 0}


# --- load_demo -------------------------------------------------------------------------------


def test_load_demo_refuses_to_create_users_with_debug_off_and_writes_nothing(db, settings):
    settings.DEBUG = False
    error, out, _ = run_failing("load_demo")
    assert "DEBUG" in str(error)
    assert "cw_" not in out
    assert Project.objects.count() == 0
    assert get_user_model().objects.count() == 0
    assert ApiKey.objects.count() == 0
    assert row_counts() == {"definitions": 0, "versions": 0, "queues": 0}


def test_load_demo_creates_the_default_project_definitions_and_queues(db, settings):
    settings.DEBUG = True
    run("load_demo", "--no-cases")
    project = Project.objects.get(slug="default")
    keys = set(project.definitions.values_list("key", flat=True))
    assert keys == {"till_basic_kyb_demo", "individual_kyc_demo", "kyb_automated_checks_demo", "kyc_document_review_demo", "kyb_ubo_demo", "kyc_ubo_demo"}
    assert set(WorkflowDefinitionVersion.objects.values_list("version", flat=True)) == {1}
    queues = {q.name: q for q in Queue.objects.filter(project=project)}
    assert set(queues) == {"Businesses Onboarding", "Individuals KYC", "Automated business checks", "Document review", "Businesses with UBOs", "UBO checks"}
    assert [d.key for d in queues["Automated business checks"].definitions.all()] == ["kyb_automated_checks_demo"]
    assert [d.key for d in queues["Businesses Onboarding"].definitions.all()] == ["till_basic_kyb_demo"]
    assert [d.key for d in queues["Individuals KYC"].definitions.all()] == ["individual_kyc_demo"]


def test_load_demo_creates_the_admin_and_operator_logins(db, settings):
    settings.DEBUG = True
    out, _ = run("load_demo", "--no-cases")
    User = get_user_model()
    admin = User.objects.get(username="admin")
    operator = User.objects.get(username="operator")
    assert admin.is_superuser and admin.is_staff and admin.check_password("admin")
    assert not operator.is_superuser and not operator.is_staff and operator.check_password("operator")
    membership = Membership.objects.get(user=operator)
    assert (membership.project.slug, membership.role) == ("default", Role.OPERATOR)
    assert "admin / admin" in out and "operator / operator" in out


def test_load_demo_prints_an_api_key_for_the_default_project(db, settings):
    settings.DEBUG = True
    out, _ = run("load_demo", "--no-cases")
    api_key = api_key_authenticate(last_line(out))
    assert api_key is not None
    assert api_key.project.slug == "default"


def test_running_load_demo_twice_adds_no_versions_or_users(db, settings):
    settings.DEBUG = True
    run("load_demo", "--no-cases")
    before = row_counts()
    users = get_user_model().objects.count()
    out, _ = run("load_demo", "--no-cases")
    assert row_counts() == before
    assert get_user_model().objects.count() == users
    assert Project.objects.filter(slug="default").count() == 1
    assert "unchanged" in out
    assert api_key_authenticate(last_line(out)) is not None  # a fresh key each run


def test_load_demo_without_users_works_with_debug_off(db, settings):
    settings.DEBUG = False
    out, _ = run("load_demo", "--no-users", "--no-cases")
    assert Project.objects.filter(slug="default").exists()
    assert get_user_model().objects.count() == 0
    assert api_key_authenticate(last_line(out)) is not None


def test_a_file_whose_queue_names_an_unknown_state_is_refused_and_writes_nothing(project, tmp_path):
    document = kyb_document()
    document["queues"][0]["states"] = ["manual_reveiw"]
    _, _, err = run_failing("load_definitions", str(write_json(tmp_path, document)), "--project", "acme")
    assert "manual_reveiw" in err and "states" in err
    assert row_counts() == {"definitions": 0, "versions": 0, "queues": 0}


def test_a_file_whose_business_queue_holds_an_individual_workflow_is_refused(project, tmp_path):
    document = kyb_document()
    document["queues"][0]["entityKind"] = "individual"
    _, _, err = run_failing("load_definitions", str(write_json(tmp_path, document)), "--project", "acme")
    assert "entityKind" in err and "does not allow individual entities" in err
    assert row_counts() == {"definitions": 0, "versions": 0, "queues": 0}


def test_a_file_with_a_key_given_twice_is_refused_and_writes_nothing(project, tmp_path):
    path = tmp_path / "twice.json"
    text = json.dumps(kyb_document())
    path.write_text(text[:-1] + ', "key": "other_key"}', encoding="utf-8")
    _, _, err = run_failing("load_definitions", str(path), "--project", "acme")
    assert 'the key "key" appears more than once' in err
    assert row_counts() == {"definitions": 0, "versions": 0, "queues": 0}


def test_prune_idempotency_keys_forgets_only_the_old_ones(demo_project):
    from datetime import timedelta

    from django.utils import timezone

    from workflows.models import IdempotencyRecord

    for key, age in (("old", timedelta(hours=30)), ("recent", timedelta(hours=2))):
        IdempotencyRecord.objects.create(project=demo_project, key=key, request_fingerprint="f", claim="c")
        IdempotencyRecord.objects.filter(key=key).update(created_at=timezone.now() - age)
    out, _ = run("prune_idempotency_keys", "--hours", "24")
    assert out.strip() == "1 Idempotency-Key record(s) older than 24 h removed."
    assert list(IdempotencyRecord.objects.values_list("key", flat=True)) == ["recent"]
