"""The admin of project secrets (write-only) and of the hook secret (shown once, when a new one
is generated): no page ever carries a stored value or its encryption."""

import hashlib
import hmac
import re

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Permission
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse

from projects.models import Project, ProjectSecret
from projects.selectors import hook_signature_valid, project_hook_secret, project_secrets
from projects.services import project_secret_set
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

VALUE = "sk_live_51HqP2eVeryPrivateToken"
NEW_VALUE = "rotated-Vendor-Token-0042"


def messages_of(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


def staff_client(*permissions):
    user = UserFactory(username="stella", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(codename__in=permissions))
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def secret(project, admin_user):
    return project_secret_set(project=project, name="VENDOR_TOKEN", value=VALUE, actor_user=admin_user)


def change_url(secret):
    return reverse("admin:projects_projectsecret_change", args=[secret.pk])


def assert_not_on_page(html, *values):
    for value in values:
        assert value not in html


def test_the_change_page_shows_when_and_by_whom_never_the_value_nor_its_encryption(admin_client, secret):
    html = admin_client.get(change_url(secret)).content.decode()
    assert "VENDOR_TOKEN" in html
    assert_not_on_page(html, VALUE, secret.ciphertext, secret.ciphertext[:20])
    assert re.search(r"Set on \d{4}-\d\d-\d\d \d\d:\d\d UTC by admin", html)
    password_input = re.search(r"<input[^>]*name=\"value\"[^>]*>", html).group(0)
    assert 'type="password"' in password_input and "value=" not in password_input


def test_the_list_shows_project_name_and_update_never_the_value(admin_client, secret):
    html = admin_client.get(reverse("admin:projects_projectsecret_changelist")).content.decode()
    assert "VENDOR_TOKEN" in html and "ACME" in html
    assert_not_on_page(html, VALUE, secret.ciphertext)


def test_adding_a_secret_stores_it_encrypted_and_shows_it_nowhere(admin_client, project, admin_user):
    response = admin_client.post(
        reverse("admin:projects_projectsecret_add"), {"project": project.pk, "name": "NEW_TOKEN", "value": VALUE}, follow=True
    )
    assert response.status_code == 200
    assert_not_on_page(response.content.decode(), VALUE)
    assert_not_on_page(" ".join(messages_of(response)), VALUE)
    saved = ProjectSecret.objects.get()
    assert saved.updated_by == admin_user and VALUE not in saved.ciphertext
    assert project_secrets(project) == {"NEW_TOKEN": VALUE}
    assert_not_on_page(" ".join(str(e.change_message) + e.object_repr for e in LogEntry.objects.all()), VALUE, saved.ciphertext)
    assert_not_on_page(admin_client.get(change_url(saved)).content.decode(), VALUE, saved.ciphertext)


def test_the_add_form_is_marked_sensitive_for_error_reports(admin_client, project):
    response = admin_client.post(reverse("admin:projects_projectsecret_add"), {"project": project.pk, "name": "X", "value": VALUE})
    assert response.wsgi_request.sensitive_post_parameters == ("value",)


def test_a_value_is_required_when_adding(admin_client, project):
    response = admin_client.post(reverse("admin:projects_projectsecret_add"), {"project": project.pk, "name": "TOKEN", "value": ""})
    assert response.status_code == 200 and "This field is required" in response.content.decode()
    assert not ProjectSecret.objects.exists()


def test_leaving_the_value_blank_keeps_it(admin_client, secret, project):
    before = ProjectSecret.objects.get()
    response = admin_client.post(change_url(secret), {"value": ""})
    assert response.status_code == 302
    after = ProjectSecret.objects.get()
    assert project_secrets(project) == {"VENDOR_TOKEN": VALUE}
    assert (after.ciphertext, after.updated_at) == (before.ciphertext, before.updated_at)


def test_a_new_value_replaces_it_and_records_who(admin_client, secret, project):
    editor = UserFactory(username="edith", is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(editor)
    response = client.post(change_url(secret), {"value": NEW_VALUE}, follow=True)
    assert_not_on_page(response.content.decode(), NEW_VALUE, VALUE)
    assert project_secrets(project) == {"VENDOR_TOKEN": NEW_VALUE}
    assert ProjectSecret.objects.get().updated_by == editor
    history = admin_client.get(reverse("admin:projects_projectsecret_history", args=[secret.pk])).content.decode()
    assert "Changed" in history
    assert_not_on_page(history, NEW_VALUE, VALUE, ProjectSecret.objects.get().ciphertext)


def test_name_and_project_cannot_change_once_set(admin_client, secret, project, other_project):
    admin_client.post(change_url(secret), {"project": other_project.pk, "name": "RENAMED", "value": ""})
    saved = ProjectSecret.objects.get()
    assert (saved.project, saved.name) == (project, "VENDOR_TOKEN")


@pytest.mark.parametrize(
    "name, message",
    [
        ("APP_API_URL", "APP_API_URL is reserved"),
        ("1TOKEN", "letters, digits and underscores"),
        ("VENDOR-TOKEN", "letters, digits and underscores"),
    ],
)
def test_reserved_and_invalid_names_are_refused_in_the_form(admin_client, project, name, message):
    response = admin_client.post(reverse("admin:projects_projectsecret_add"), {"project": project.pk, "name": name, "value": VALUE})
    html = response.content.decode()
    assert response.status_code == 200 and message in html
    assert_not_on_page(html, VALUE)  # the password field is not filled back in either
    assert not ProjectSecret.objects.exists()


def test_a_name_taken_in_the_project_is_refused(admin_client, secret, project):
    response = admin_client.post(
        reverse("admin:projects_projectsecret_add"), {"project": project.pk, "name": "VENDOR_TOKEN", "value": NEW_VALUE}
    )
    assert response.status_code == 200 and "already exists" in response.content.decode()
    assert project_secrets(project) == {"VENDOR_TOKEN": VALUE}


def test_a_value_with_a_nul_is_refused(admin_client, project):
    response = admin_client.post(reverse("admin:projects_projectsecret_add"), {"project": project.pk, "name": "T", "value": "a\x00b"})
    # The server refuses NUL in any input before the form sees it (config.middleware.NulInputMiddleware).
    assert response.status_code == 400
    assert not ProjectSecret.objects.exists()


def test_staff_without_the_permission_cannot_see_secrets(secret):
    client = staff_client()
    assert client.get(reverse("admin:projects_projectsecret_changelist")).status_code == 403
    assert client.get(change_url(secret)).status_code == 403


def test_staff_who_may_only_view_see_neither_value_nor_a_field_to_set_it(secret):
    client = staff_client("view_projectsecret")
    response = client.get(change_url(secret))
    html = response.content.decode()
    assert response.status_code == 200 and "Set on" in html
    assert 'name="value"' not in html
    assert_not_on_page(html, VALUE, secret.ciphertext)
    client.post(change_url(secret), {"value": NEW_VALUE})
    assert project_secrets(secret.project) == {"VENDOR_TOKEN": VALUE}


def test_people_who_are_not_staff_are_sent_to_log_in(secret):
    client = Client()
    client.force_login(UserFactory(username="nobody"))
    response = client.get(change_url(secret))
    assert response.status_code == 302 and "/login/" in response["Location"]


# --- The hook secret on the project's page -------------------------------------------------


def project_url(project):
    return reverse("admin:projects_project_change", args=[project.pk])


def rotate_url(project):
    return reverse("admin:projects_project_rotate_hook_secret", args=[project.pk])


def sign(secret, body):
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def test_the_project_page_offers_a_new_hook_secret_and_shows_neither_the_current_one_nor_its_encryption(admin_client, project):
    html = admin_client.get(project_url(project)).content.decode()
    assert "Generate a new hook secret" in html and rotate_url(project) in html
    assert "csrfmiddlewaretoken" in html[html.index(rotate_url(project)) : html.index("Generate a new hook secret")]
    assert_not_on_page(html, project_hook_secret(project), project.hook_secret_ciphertext)
    assert "Generated on" in html


def test_generating_shows_the_new_secret_once(admin_client, project):
    old_secret = project_hook_secret(project)
    response = admin_client.post(rotate_url(project), follow=True)
    assert response.redirect_chain[-1][0] == project_url(project)
    project.refresh_from_db()
    new_secret = project_hook_secret(project)
    assert new_secret != old_secret
    html = response.content.decode()
    assert html.count(new_secret) == 1 and "not shown again" in html
    assert project.hook_secret_ciphertext not in html
    body = b'{"status":"done"}'
    assert hook_signature_valid(project, body, sign(new_secret, body))
    assert not hook_signature_valid(project, body, sign(old_secret, body))
    # Never again: the next visit of the page does not carry it.
    assert_not_on_page(admin_client.get(project_url(project)).content.decode(), new_secret)
    history = admin_client.get(reverse("admin:projects_project_history", args=[project.pk])).content.decode()
    assert "Generated a new hook secret." in history
    assert_not_on_page(history, new_secret, project.hook_secret_ciphertext)


def test_a_get_of_the_generate_address_changes_nothing(admin_client, project):
    before = project.hook_secret_ciphertext
    response = admin_client.get(rotate_url(project))
    assert response.status_code == 302 and response["Location"] == project_url(project)
    assert Project.objects.get(pk=project.pk).hook_secret_ciphertext == before


def test_generating_needs_the_csrf_token(admin_user, project):
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin_user)
    before = project.hook_secret_ciphertext
    assert client.post(rotate_url(project)).status_code == 403
    assert Project.objects.get(pk=project.pk).hook_secret_ciphertext == before


def test_staff_who_may_only_view_projects_cannot_generate(project):
    client = staff_client("view_project")
    before = project.hook_secret_ciphertext
    html = client.get(project_url(project)).content.decode()
    assert rotate_url(project) not in html
    assert client.post(rotate_url(project)).status_code == 403
    assert Project.objects.get(pk=project.pk).hook_secret_ciphertext == before


def test_generating_for_an_unknown_project_is_a_404(admin_client, project):
    assert admin_client.post(reverse("admin:projects_project_rotate_hook_secret", args=[project.pk + 1000])).status_code == 404


def test_adding_a_project_in_the_admin_gives_it_a_hook_secret(admin_client):
    response = admin_client.post(
        reverse("admin:projects_project_add"),
        {
            "name": "Newco",
            "slug": "newco",
            "memberships-TOTAL_FORMS": "0",
            "memberships-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert re.fullmatch(r"[0-9a-f]{64}", project_hook_secret(Project.objects.get(slug="newco")))
