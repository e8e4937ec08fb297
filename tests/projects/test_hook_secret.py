"""The hook secret: each project's own, encrypted, never the webhook secret, and the signature
check that the hook endpoint relies on."""

import hashlib
import hmac
import io
import re

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test import override_settings

from projects.models import Project
from projects.secrets import SecretUnreadable
from projects.selectors import hook_signature_valid, project_hook_secret
from projects.services import project_hook_secret_rotate
from projects.services import hook_signature_valid as hook_signature_valid_from_services
from tests.factories import ProjectFactory

pytestmark = pytest.mark.django_db

BODY = b'{"status":"APPROVED","sessionId":"abc-123","score":0.97}'


def sign(secret: str, body: bytes = BODY) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def test_a_new_project_has_its_own_hook_secret_stored_encrypted(project, other_project):
    secret = project_hook_secret(project)
    assert re.fullmatch(r"[0-9a-f]{64}", secret)
    assert secret != project_hook_secret(other_project)
    assert secret != project.webhook_secret
    stored = Project.objects.filter(pk=project.pk).values_list("hook_secret_ciphertext", flat=True).get()
    assert secret not in stored
    assert project.hook_secret_generated_at is not None


def test_a_signature_of_the_exact_body_is_valid(project):
    signature = sign(project_hook_secret(project))
    assert hook_signature_valid(project, BODY, signature)
    assert hook_signature_valid_from_services(project, BODY, signature)


@pytest.mark.parametrize("shape", [lambda s: f"sha256={s}", str.upper, lambda s: f"  {s}\n"])
def test_the_github_prefix_upper_case_and_surrounding_space_are_accepted(project, shape):
    assert hook_signature_valid(project, BODY, shape(sign(project_hook_secret(project))))


def test_the_body_must_be_the_exact_bytes_that_were_signed(project):
    signature = sign(project_hook_secret(project))
    assert not hook_signature_valid(project, BODY + b" ", signature)
    assert not hook_signature_valid(project, b'{"status": "APPROVED", "sessionId": "abc-123", "score": 0.97}', signature)
    assert hook_signature_valid(project, bytearray(BODY), signature)
    assert hook_signature_valid(project, memoryview(BODY), signature)


def test_a_str_body_is_a_programming_error(project):
    with pytest.raises(TypeError, match="bytes"):
        hook_signature_valid(project, BODY.decode(), sign(project_hook_secret(project)))


@pytest.mark.parametrize(
    "signature",
    [None, "", "   ", "sha256=", "zz" * 32, "ab" * 31, "ab" * 33, "sha1=" + "ab" * 32, "sha256=sha256=" + "ab" * 32, 42],
)
def test_a_missing_or_malformed_signature_is_refused(project, signature):
    assert hook_signature_valid(project, BODY, signature) is False


def test_a_truncated_or_altered_signature_is_refused(project):
    signature = sign(project_hook_secret(project))
    altered = ("0" if signature[0] != "0" else "1") + signature[1:]
    assert not hook_signature_valid(project, BODY, altered)
    assert not hook_signature_valid(project, BODY, signature[:-2])


def test_another_projects_hook_secret_is_refused(project, other_project):
    assert not hook_signature_valid(project, BODY, sign(project_hook_secret(other_project)))


def test_a_body_signed_with_the_webhook_secret_is_refused(project):
    """Every webhook subscriber has the webhook secret: a webhook it received, replayed to the
    hook, must not authenticate."""
    assert not hook_signature_valid(project, BODY, sign(project.webhook_secret))
    assert not hook_signature_valid(project, BODY, "sha256=" + sign(project.webhook_secret))


def test_rotation_invalidates_the_old_signature(project):
    before = project.hook_secret_generated_at
    old_signature = sign(project_hook_secret(project))
    new_secret = project_hook_secret_rotate(project=project)
    project.refresh_from_db()
    assert project_hook_secret(project) == new_secret
    assert not hook_signature_valid(project, BODY, old_signature)
    assert hook_signature_valid(project, BODY, sign(new_secret))
    assert project.hook_secret_generated_at > before
    assert re.fullmatch(r"[0-9a-f]{64}", new_secret)


def test_rotating_the_hook_secret_leaves_the_webhook_secret_alone(project):
    webhook_secret = project.webhook_secret
    project_hook_secret_rotate(project=project)
    project.refresh_from_db()
    assert project.webhook_secret == webhook_secret


def test_a_hook_secret_no_key_opens_is_a_clear_error_naming_the_project(project):
    key = Fernet.generate_key().decode()
    with override_settings(SECRETS_ENCRYPTION_KEYS=[key]):
        project_hook_secret_rotate(project=project)
    with pytest.raises(SecretUnreadable, match="hook secret of project acme cannot be decrypted") as unreadable:
        hook_signature_valid(project, BODY, "ab" * 32)
    assert "rotate_hook_secret" in str(unreadable.value)


def test_the_command_prints_a_secret_that_validates(project):
    out = io.StringIO()
    call_command("rotate_hook_secret", "acme", stdout=out)
    lines = out.getvalue().strip().splitlines()
    secret = lines[-1]
    assert "not shown again" in lines[0] and secret not in lines[0]
    assert out.getvalue().count(secret) == 1
    project.refresh_from_db()
    assert hook_signature_valid(project, BODY, sign(secret))


def test_the_command_refuses_an_unknown_project(project):
    with pytest.raises(CommandError, match="No project with slug 'nope'"):
        call_command("rotate_hook_secret", "nope", stdout=io.StringIO())


@pytest.mark.django_db(transaction=True)
def test_the_migration_gives_each_existing_project_its_own_hook_secret():
    executor = MigrationExecutor(connection)
    before = [("projects", "0004_api_key_throttle_overrides")]
    executor.migrate(before)
    try:
        old_apps = executor.loader.project_state(before).apps
        OldProject = old_apps.get_model("projects", "Project")
        for n in range(3):
            OldProject.objects.create(slug=f"old-{n}", name=f"Old {n}", webhook_secret=f"{n}" * 64)
        executor = MigrationExecutor(connection)
        executor.migrate([("projects", "0006_project_own_hook_secrets")])
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())
    projects = list(Project.objects.filter(slug__startswith="old-"))
    secrets = {project_hook_secret(project) for project in projects}
    assert len(projects) == 3 and len(secrets) == 3
    assert all(re.fullmatch(r"[0-9a-f]{64}", secret) for secret in secrets)


def test_a_project_created_by_the_factory_or_the_service_gets_one(db):
    from projects.services import project_create

    for project in (ProjectFactory(), project_create(slug="svc", name="Service")):
        assert re.fullmatch(r"[0-9a-f]{64}", project_hook_secret(Project.objects.get(pk=project.pk)))
