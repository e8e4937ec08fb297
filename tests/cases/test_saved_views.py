"""Saved views (issue 16 item 7): a queue's filters and sort under a name, personal or (admins)
the project's, listed in the menu under its queue, normalised through the queue's filter."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cases.models import Queue, SavedView
from projects.models import Role

from ..factories import demo_case_start as start
from .helpers import client_for, member

pytestmark = pytest.mark.django_db

QUEUE = "businesses-onboarding"
SAVE_URL = f"/queues/{QUEUE}/views/"


def menu(html: str) -> str:
    return html[html.index('aria-label="Queues"') : html.index("</aside>")]


@pytest.fixture
def queue(demo_project):
    return Queue.objects.get(project=demo_project, slug=QUEUE)


def test_a_saved_view_keeps_the_filters_and_sort_without_the_page_or_unknown_parameters(operator_client, queue):
    response = operator_client.post(
        SAVE_URL, {"name": "Mine", "scope": "personal", "query": "q=Acme&assignee=me&sort=-updated&page=3&utm=x&state=nowhere&created_after="}
    )
    view = SavedView.objects.get()
    assert (view.name, view.owner, view.queue, view.query) == ("Mine", operator_client.user, queue, "q=Acme&assignee=me&sort=-updated")
    assert response.status_code == 302 and response["Location"] == f"/queues/{QUEUE}/?q=Acme&assignee=me&sort=-updated"


def test_a_personal_view_is_listed_under_its_queue_for_its_owner_only(operator_client, demo_project, queue):
    operator_client.post(SAVE_URL, {"name": "My open work", "scope": "personal", "query": "assignee=me"})
    html = operator_client.get(f"/queues/{QUEUE}/").content.decode()
    assert f'href="/queues/{QUEUE}/?assignee=me"' in menu(html) and "My open work" in menu(html)
    other = member(demo_project, "bea")
    assert "My open work" not in client_for(other).get(f"/queues/{QUEUE}/").content.decode()


def test_an_operator_cannot_save_a_view_for_the_project(operator_client, queue):
    response = operator_client.post(SAVE_URL, {"name": "Everyone", "scope": "project", "query": ""})
    assert response.status_code == 403
    assert not SavedView.objects.exists()


def test_an_admin_saves_a_project_view_that_every_member_sees(demo_project, queue):
    admin = member(demo_project, "ada", Role.ADMIN)
    client_for(admin).post(SAVE_URL, {"name": "Overdue first", "scope": "project", "query": "sort=state"})
    assert SavedView.objects.get().owner is None
    viewer = member(demo_project, "vic", Role.VIEWER)
    assert "Overdue first" in menu(client_for(viewer).get(f"/queues/{QUEUE}/").content.decode())


def test_a_viewer_may_save_a_view_for_themselves(demo_project, queue):
    viewer = member(demo_project, "vic", Role.VIEWER)
    client_for(viewer).post(SAVE_URL, {"name": "Reading list", "scope": "personal", "query": "status=any"})
    assert SavedView.objects.get().owner == viewer


def test_a_second_view_of_the_same_name_is_refused_and_the_first_kept(operator_client, queue):
    operator_client.post(SAVE_URL, {"name": "Mine", "scope": "personal", "query": "q=a"})
    response = operator_client.post(SAVE_URL, {"name": " Mine ", "scope": "personal", "query": "q=b"}, follow=True)
    assert "The view was not saved. You already have a view named “Mine” in Businesses Onboarding." in response.content.decode()
    assert list(SavedView.objects.values_list("query", flat=True)) == ["q=a"]


def test_the_same_name_may_be_personal_for_two_people(operator_client, demo_project, queue):
    operator_client.post(SAVE_URL, {"name": "Mine", "scope": "personal", "query": ""})
    client_for(member(demo_project, "bea")).post(SAVE_URL, {"name": "Mine", "scope": "personal", "query": ""})
    assert SavedView.objects.count() == 2


@pytest.mark.parametrize(
    ("name", "message"), [("", "Give the view a name."), ("x" * 81, "At most 80 characters.")]
)
def test_a_bad_name_is_refused_with_a_clear_message(operator_client, queue, name, message):
    response = operator_client.post(SAVE_URL, {"name": name, "scope": "personal", "query": ""}, follow=True)
    assert message in response.content.decode()
    assert not SavedView.objects.exists()


def test_a_views_name_is_escaped_in_the_menu_and_on_the_page(operator_client, queue):
    operator_client.post(SAVE_URL, {"name": "<script>alert(1)</script>", "scope": "personal", "query": ""})
    html = operator_client.get(f"/queues/{QUEUE}/").content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in menu(html)


def test_an_owner_deletes_their_view(operator_client, queue):
    operator_client.post(SAVE_URL, {"name": "Mine", "scope": "personal", "query": ""})
    view = SavedView.objects.get()
    response = operator_client.post(f"/views/{view.pk}/delete/", follow=True)
    assert "Deleted the view “Mine”." in response.content.decode()
    assert not SavedView.objects.exists()


def test_someone_elses_personal_view_is_not_found_and_kept(operator_client, demo_project, queue):
    bea = member(demo_project, "bea", Role.ADMIN)
    client_for(bea).post(SAVE_URL, {"name": "Bea's", "scope": "personal", "query": ""})
    assert operator_client.post(f"/views/{SavedView.objects.get().pk}/delete/").status_code == 404
    assert SavedView.objects.exists()


def test_only_an_admin_deletes_a_project_view(operator_client, demo_project, queue):
    admin = member(demo_project, "ada", Role.ADMIN)
    client_for(admin).post(SAVE_URL, {"name": "Shared", "scope": "project", "query": ""})
    view = SavedView.objects.get()
    assert operator_client.post(f"/views/{view.pk}/delete/").status_code == 403
    assert SavedView.objects.exists()
    client_for(admin).post(f"/views/{view.pk}/delete/")
    assert not SavedView.objects.exists()


def test_another_projects_views_are_neither_listed_nor_deletable(operator_client, demo_project, other_project, queue):
    from workflows.definition_files import definition_file_load, demo_definition_paths

    for path in demo_definition_paths():
        definition_file_load(project=other_project, path=path)
    their_queue = Queue.objects.get(project=other_project, slug=QUEUE)
    theirs = SavedView.objects.create(project=other_project, queue=their_queue, owner=None, name="Their view", query="")
    assert "Their view" not in operator_client.get(f"/queues/{QUEUE}/").content.decode()
    assert operator_client.post(f"/views/{theirs.pk}/delete/").status_code == 404


def test_the_menu_reads_all_saved_views_in_one_query_however_many(operator_client, demo_project, queue):
    start(demo_project)
    SavedView.objects.create(project=demo_project, queue=queue, owner=operator_client.user, name="v0", query="")
    with CaptureQueriesContext(connection) as one:
        operator_client.get(f"/queues/{QUEUE}/")
    other_queue = Queue.objects.get(project=demo_project, slug="individuals-kyc")
    for n in range(1, 12):
        SavedView.objects.create(project=demo_project, queue=queue if n % 2 else other_queue, owner=operator_client.user if n % 3 else None, name=f"v{n}", query=f"q={n}")
    with CaptureQueriesContext(connection) as many:
        html = operator_client.get(f"/queues/{QUEUE}/").content.decode()
    assert menu(html).count("saved-view-item") == 12
    assert len(many) == len(one)
