import re

import pytest
from django.test import Client

from cases.models import Queue
from cases.selectors import queue_counts, queue_list
from projects.models import Role
from workflows.actors import Actor
from workflows.models import HistoryKind, WorkflowRuntime
from workflows.case_work import case_assign
from workflows.services import workflow_send_event

from .helpers import case_post
from ..factories import MembershipFactory, UserFactory
from ..factories import demo_case_start as start

QUEUE_URL = "/queues/businesses-onboarding/"
ADD_URL = "/queues/businesses-onboarding/new/?definition=till_basic_kyb_demo"

VALID_FORM = {
    "definition": "till_basic_kyb_demo",
    "id": "manual-1",
    "data.companyName": "Form Co",
    "data.companyType": "LLC",
    "data.additionalInfo.mainRepresentative.email": "rep@example.com",
    "data.additionalInfo.mainRepresentative.firstName": "Rita",
    "data.additionalInfo.mainRepresentative.lastName": "Rep",
}


@pytest.fixture
def without_four_eyes(demo_project):
    """The demo KYB workflow with approval by one person (its definition asks for two)."""
    from workflows.models import WorkflowDefinitionVersion

    versions = WorkflowDefinitionVersion.objects.filter(definition__key="till_basic_kyb_demo")
    for version in versions:
        version.config = {k: v for k, v in version.config.items() if k != "fourEyes"}
        version.save(update_fields=["config"])


@pytest.fixture
def viewer_client(demo_project):
    user = MembershipFactory(project=demo_project, user=UserFactory(username="view"), role=Role.VIEWER).user
    client = Client()
    client.force_login(user)
    return client


def test_pages_need_login(demo_project):
    response = Client().get(QUEUE_URL)
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_home_opens_the_first_queue(operator_client):
    response = operator_client.get("/")
    assert response["Location"] == QUEUE_URL


def test_menu_groups_queues_with_open_case_counts(operator_client, demo_project):
    start(demo_project, "e1")
    done = start(demo_project, "e2")
    workflow_send_event(project=demo_project, runtime_id=done.pk, name="approve", actor=Actor())
    html = operator_client.get(QUEUE_URL).content.decode()
    assert "Businesses" in html and "Individuals" in html
    counts = queue_counts(project=demo_project, queues=queue_list(project=demo_project))
    assert counts[Queue.objects.get(slug="businesses-onboarding").pk] == 1
    assert counts[Queue.objects.get(slug="individuals-kyc").pk] == 0


def test_menu_counts_take_one_query_for_all_queues(demo_project, django_assert_num_queries):
    queues = queue_list(project=demo_project)
    with django_assert_num_queries(1):
        queue_counts(project=demo_project, queues=queues)


def test_queue_page_lists_open_cases_of_the_queue(operator_client, demo_project):
    start(demo_project, "e1", "Listed Co")
    html = operator_client.get(QUEUE_URL).content.decode()
    assert "Listed Co" in html
    assert "1 case" in html


def test_queue_page_uses_the_same_number_of_queries_whatever_the_page_size(operator_client, demo_project, django_assert_max_num_queries):
    start(demo_project, "e0")
    operator_client.get(QUEUE_URL)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as one:
        operator_client.get(QUEUE_URL)
    for i in range(1, 30):
        start(demo_project, f"e{i}")
    with CaptureQueriesContext(connection) as many:
        operator_client.get(QUEUE_URL)
    assert len(many) == len(one)


def test_queue_filters_by_search_text(operator_client, demo_project):
    start(demo_project, "e1", "Alpha Trading")
    start(demo_project, "e2", "Beta Foods")
    html = operator_client.get(QUEUE_URL, {"q": "alpha"}).content.decode()
    assert "Alpha Trading" in html and "Beta Foods" not in html


def test_queue_filters_by_assignee_me_and_unassigned(operator_client, demo_project):
    mine = start(demo_project, "e1", "Mine Co")
    start(demo_project, "e2", "Free Co")
    case_assign(project=demo_project, runtime_id=mine.pk, assignee=operator_client.user, actor=Actor())
    me = operator_client.get(QUEUE_URL, {"assignee": "me"}).content.decode()
    free = operator_client.get(QUEUE_URL, {"assignee": "unassigned"}).content.decode()
    assert "Mine Co" in me and "Free Co" not in me
    assert "Free Co" in free and "Mine Co" not in free


def test_queue_shows_completed_cases_only_when_asked(operator_client, demo_project):
    done = start(demo_project, "e1", "Done Co")
    workflow_send_event(project=demo_project, runtime_id=done.pk, name="reject", actor=Actor())
    assert "Done Co" not in operator_client.get(QUEUE_URL).content.decode()
    assert "Done Co" in operator_client.get(QUEUE_URL, {"status": "completed"}).content.decode()
    assert "Done Co" in operator_client.get(QUEUE_URL, {"status": "any"}).content.decode()


def test_queue_sorts_by_a_column(operator_client, demo_project):
    start(demo_project, "e1", "Zeta")
    start(demo_project, "e2", "Alpha")
    html = operator_client.get(QUEUE_URL, {"sort": "name"}).content.decode()
    assert html.index("Alpha") < html.index("Zeta")


def test_paging_a_sort_with_ties_shows_every_case_once(operator_client, demo_project):
    import re

    ids = {str(start(demo_project, f"tie{i}", f"Tie {i}").pk) for i in range(27)}  # one state for all
    seen = []
    for page in (1, 2):
        html = operator_client.get(QUEUE_URL, {"sort": "state", "page": page}).content.decode()
        seen += re.findall(r'href="/cases/([0-9a-f-]{36})/(?:\?from=[^"]*)?"', html)
    assert sorted(seen) == sorted(ids)


def test_queue_of_another_project_is_404(operator_client, other_project):
    Queue.objects.create(project=other_project, name="Secret", slug="secret", entity_kind="business")
    assert operator_client.get("/queues/secret/").status_code == 404


def test_add_case_manually_button_is_at_the_bottom_of_the_list(operator_client, demo_project):
    start(demo_project)
    html = operator_client.get(QUEUE_URL).content.decode()
    assert html.rindex("Add Case Manually") > html.index("</table>")  # (and beside the title)
    assert ADD_URL in html


def test_empty_queue_says_so_above_the_add_case_button(operator_client):
    html = operator_client.get(QUEUE_URL).content.decode()
    assert "<table" not in html
    assert html.index("No cases match these filters.") < html.rindex("Add Case Manually")


def test_add_case_manually_is_hidden_when_the_definition_disables_it(operator_client, demo_project):
    from workflows.models import WorkflowDefinitionVersion

    WorkflowDefinitionVersion.objects.filter(definition__key="till_basic_kyb_demo").update(config={"enableManualCreation": False})
    assert "Add Case Manually" not in operator_client.get(QUEUE_URL).content.decode()
    assert operator_client.get(ADD_URL).status_code == 404


def test_manual_form_renders_the_input_schema(operator_client):
    html = operator_client.get(ADD_URL).content.decode()
    for label in ("Entity ID (As represented in your system)", "Company Name", "Company Type", "Email", "First Name", "Last Name"):
        assert label in html
    assert 'name="type"' not in html


def test_manual_form_starts_the_workflow_and_opens_the_case(operator_client):
    response = operator_client.post(ADD_URL, {**VALID_FORM, "form_token": "t1"}, follow=True)
    runtime = WorkflowRuntime.objects.get()
    assert response.redirect_chain[-1][0] == f"/cases/{runtime.pk}/"
    assert "Case created for Form Co" in response.content.decode()
    assert runtime.context["entity"] == {
        "id": "manual-1",
        "type": "business",
        "data": {
            "companyName": "Form Co",
            "companyType": "LLC",
            "additionalInfo": {"mainRepresentative": {"email": "rep@example.com", "firstName": "Rita", "lastName": "Rep"}},
        },
    }
    assert runtime.created_by_user == operator_client.user
    assert runtime.history.get(kind=HistoryKind.CREATED).actor_label == "op"


def test_manual_form_errors_sit_beside_their_fields_and_create_nothing(operator_client):
    data = {**VALID_FORM, "data.companyName": "", "data.additionalInfo.mainRepresentative.email": "nope", "form_token": "t2"}
    response = operator_client.post(ADD_URL, data)
    assert response.status_code == 200
    form = response.context["form"]
    assert "data.companyName" in form.errors
    assert "data.additionalInfo.mainRepresentative.email" in form.errors
    assert WorkflowRuntime.objects.count() == 0


def test_double_submission_creates_one_case(operator_client):
    operator_client.post(ADD_URL, {**VALID_FORM, "form_token": "same"})
    second = operator_client.post(ADD_URL, {**VALID_FORM, "form_token": "same"})
    assert WorkflowRuntime.objects.count() == 1
    assert second["Location"] == f"/cases/{WorkflowRuntime.objects.get().pk}/"


def test_double_submission_says_the_form_was_already_submitted(operator_client):
    operator_client.post(ADD_URL, {**VALID_FORM, "form_token": "same"})
    second = operator_client.post(ADD_URL, {**VALID_FORM, "form_token": "same"}, follow=True)
    assert "This form was already submitted" in second.content.decode()


def test_form_changed_after_going_back_is_a_new_submission(operator_client):
    operator_client.post(ADD_URL, {**VALID_FORM, "form_token": "same"})
    other = {**VALID_FORM, "id": "manual-2", "data.companyName": "Second Co", "form_token": "same"}
    response = operator_client.post(ADD_URL, other, follow=True)
    assert "Case created for Second Co" in response.content.decode()
    assert WorkflowRuntime.objects.count() == 2


def test_adding_a_case_for_an_entity_with_an_open_case_changes_nothing_and_links_to_it(operator_client):
    operator_client.post(ADD_URL, {**VALID_FORM, "form_token": "first"})
    existing = WorkflowRuntime.objects.get()
    again = {**VALID_FORM, "data.companyName": "Overwritten Co", "form_token": "second"}
    response = operator_client.post(ADD_URL, again)
    assert response.status_code == 200
    assert "An open case already exists for this entity" in " ".join(response.context["form"].errors["id"])
    assert f'href="/cases/{existing.pk}/"' in response.content.decode()
    existing.refresh_from_db()
    assert existing.context["entity"]["data"]["companyName"] == "Form Co"
    assert existing.entity.display_name == "Form Co"
    assert WorkflowRuntime.objects.count() == 1


def test_manual_form_carries_one_csrf_token(operator_client):
    html = operator_client.get(ADD_URL).content.decode()
    form = html.split('<form method="post" novalidate>', 1)[1].split("</form>", 1)[0]
    assert form.count('name="csrfmiddlewaretoken"') == 1


def test_viewer_cannot_add_cases(viewer_client):
    assert viewer_client.get(ADD_URL).status_code == 403
    assert viewer_client.post(ADD_URL, {**VALID_FORM, "form_token": "v"}).status_code == 403
    assert WorkflowRuntime.objects.count() == 0


def test_case_page_shows_state_events_diagram_and_history(operator_client, demo_project):
    runtime = start(demo_project, "e1", "Page Co")
    html = operator_client.get(f"/cases/{runtime.pk}/").content.decode()
    for text in ("Page Co", "manual_review", ">approve<", ">reject<", ">revision<", "<svg", "Created"):
        assert text in html


def test_case_page_escapes_user_data(operator_client, demo_project):
    runtime = start(demo_project, "e1", "<script>alert(1)</script>", note="<img src=x onerror=alert(2)>")
    html = operator_client.get(f"/cases/{runtime.pk}/").content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "<img src=x" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_case_of_another_project_is_404(operator_client, other_project):
    from workflows.definition_files import definition_file_load, demo_definition_paths

    for path in demo_definition_paths():
        definition_file_load(project=other_project, path=path)
    runtime = start(other_project)
    assert operator_client.get(f"/cases/{runtime.pk}/").status_code == 404
    assert case_post(operator_client, runtime, "event", {"name": "revision"}).status_code == 404
    runtime.refresh_from_db()
    assert runtime.state == "manual_review"


def test_event_button_moves_the_case(operator_client, demo_project):
    runtime = start(demo_project)
    response = case_post(operator_client, runtime, "event", {"name": "revision", "reason": "Blurry passport"}, follow=True)
    runtime.refresh_from_db()
    assert runtime.state == "revision"
    assert "Done: revision. The case is now in state Waiting for the applicant." in response.content.decode()


def test_final_event_message_says_the_case_is_completed(operator_client, demo_project, without_four_eyes):
    runtime = start(demo_project)
    response = case_post(operator_client, runtime, "event", {"name": "approve", "confirmed": "1"}, follow=True)
    assert "The case is now in state Approved and completed." in response.content.decode()


def test_final_event_asks_for_confirmation_first(operator_client, demo_project, without_four_eyes):
    runtime = start(demo_project)
    response = case_post(operator_client, runtime, "event", {"name": "approve"})
    assert "Confirm approve" in response.content.decode()
    runtime.refresh_from_db()
    assert runtime.state == "manual_review"
    case_post(operator_client, runtime, "event", {"name": "approve", "confirmed": "1"})
    runtime.refresh_from_db()
    assert runtime.status == "completed"


def test_event_on_a_completed_case_is_refused_with_a_message(operator_client, demo_project):
    runtime = start(demo_project)
    workflow_send_event(project=demo_project, runtime_id=runtime.pk, name="reject", actor=Actor())
    response = case_post(operator_client, runtime, "event", {"name": "approve", "confirmed": "1"}, follow=True)
    assert "accepts no more changes" in response.content.decode()
    runtime.refresh_from_db()
    assert runtime.state == "rejected"


def test_event_not_allowed_now_is_refused_with_a_message(operator_client, demo_project):
    runtime = start(demo_project)
    response = case_post(operator_client, runtime, "event", {"name": "RESUBMITTED"}, follow=True)
    assert "not handled" in response.content.decode()


def test_invalid_payload_json_is_refused_with_a_message(operator_client, demo_project):
    runtime = start(demo_project)
    response = case_post(operator_client, runtime, "event", {"name": "revision", "payload": "{oops"}, follow=True)
    html = response.content.decode()
    assert "The payload is not valid JSON" in html
    assert ">{oops</textarea>" in html  # kept as typed, to be corrected
    runtime.refresh_from_db()
    assert runtime.state == "manual_review"


def test_assign_to_me_and_unassign(operator_client, demo_project):
    runtime = start(demo_project)
    case_post(operator_client, runtime, "assign", {"assignee": "me"})
    runtime.refresh_from_db()
    assert runtime.assignee == operator_client.user
    case_post(operator_client, runtime, "assign", {"assignee": ""})
    runtime.refresh_from_db()
    assert runtime.assignee is None


def test_reassigning_to_a_member_shows_them_as_assignee(operator_client, demo_project):
    colleague = MembershipFactory(project=demo_project, user=UserFactory(username="colleague"), role=Role.OPERATOR).user
    runtime = start(demo_project)
    response = case_post(operator_client, runtime, "assign", {"assignee": "colleague"}, follow=True)
    assert "Assigned to colleague." in response.content.decode()
    runtime.refresh_from_db()
    assert runtime.assignee == colleague


@pytest.mark.parametrize("username", ["nobody-by-that-name", "outsider", "watcher"])
def test_assigning_to_unknown_users_outsiders_and_viewers_gives_one_message(operator_client, demo_project, username):
    UserFactory(username="outsider")
    MembershipFactory(project=demo_project, user=UserFactory(username="watcher"), role=Role.VIEWER)
    runtime = start(demo_project)
    response = case_post(operator_client, runtime, "assign", {"assignee": username}, follow=True)
    assert "Cases can only be assigned to operators of this project." in response.content.decode()
    runtime.refresh_from_db()
    assert runtime.assignee is None
    assert runtime.history.count() == 1  # only the creation


def test_note_appears_in_the_timeline(operator_client, demo_project):
    runtime = start(demo_project)
    case_post(operator_client, runtime, "note", {"text": "Checked the registry <b>ok</b>"})
    html = operator_client.get(f"/cases/{runtime.pk}/").content.decode()
    assert "Checked the registry &lt;b&gt;ok&lt;/b&gt;" in html


def test_viewer_actions_are_refused_on_the_server(viewer_client, demo_project):
    runtime = start(demo_project)
    assert viewer_client.post(f"/cases/{runtime.pk}/event/", {"name": "revision"}).status_code == 403
    assert viewer_client.post(f"/cases/{runtime.pk}/assign/", {"assignee": "me"}).status_code == 403
    assert viewer_client.post(f"/cases/{runtime.pk}/note/", {"text": "hi"}).status_code == 403
    runtime.refresh_from_db()
    assert (runtime.state, runtime.assignee) == ("manual_review", None)


def test_a_viewer_posting_a_final_event_is_refused_without_a_confirmation_page(viewer_client, demo_project):
    runtime = start(demo_project)
    response = viewer_client.post(f"/cases/{runtime.pk}/event/", {"name": "approve"})
    assert response.status_code == 403
    assert "confirmed" not in response.content.decode()
    runtime.refresh_from_db()
    assert runtime.state == "manual_review"


def test_a_viewer_posting_a_bad_payload_is_refused_before_it_is_read(viewer_client, demo_project):
    runtime = start(demo_project)
    response = viewer_client.post(f"/cases/{runtime.pk}/event/", {"name": "revision", "payload": "{not json"})
    assert response.status_code == 403


def test_actions_need_a_csrf_token(demo_project):
    user = MembershipFactory(project=demo_project, user=UserFactory(username="csrf"), role=Role.OPERATOR).user
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    runtime = start(demo_project)
    assert client.post(f"/cases/{runtime.pk}/event/", {"name": "revision"}).status_code == 403
    runtime.refresh_from_db()
    assert runtime.state == "manual_review"


def test_project_switcher_changes_the_visible_project(operator_client, other_project):
    MembershipFactory(project=other_project, user=operator_client.user, role=Role.VIEWER)
    Queue.objects.create(project=other_project, name="Other Queue", slug="other-queue", entity_kind="business")
    operator_client.post("/projects/switch/", {"project": "other"})
    assert operator_client.get("/")["Location"] == "/queues/other-queue/"
    assert operator_client.get(QUEUE_URL).status_code == 404


def test_user_without_membership_is_told_so(db):
    client = Client()
    client.force_login(UserFactory(username="lonely"))
    response = client.get("/")
    assert response.status_code == 403
    assert "not a member of any project" in response.content.decode()


def test_a_closed_case_keeps_showing_its_own_entity_after_a_later_case_renames_it(operator_client, demo_project, without_four_eyes):
    first = start(demo_project, "same-id", "Old Name Ltd")
    case_post(operator_client, first, "event", {"name": "approve", "confirmed": "1"})
    start(demo_project, "same-id", "New Name Ltd")
    html = operator_client.get(f"/cases/{first.pk}/").content.decode()
    assert re.search(r'<h1 [^>]*><a [^>]*id="case-entity-link"[^>]*>Old Name Ltd</a></h1>', html)
    assert "The entity's record has changed since" in html


def test_case_breadcrumb_leads_back_to_its_queue(operator_client, demo_project):
    runtime = start(demo_project)
    html = operator_client.get(f"/cases/{runtime.pk}/").content.decode()
    assert '<a id="back-to-queue" href="/queues/businesses-onboarding/">Back to Businesses Onboarding</a>' in html


def test_decision_buttons_are_coloured_by_their_outcome(operator_client, demo_project):
    html = operator_client.get(f"/cases/{start(demo_project).pk}/").content.decode()
    assert 'class="btn btn-success" type="submit" name="name" value="approve"' in html
    assert 'class="btn btn-danger" type="submit" name="name" value="reject"' in html
    assert 'class="btn btn-outline-primary" type="submit" name="name" value="revision"' in html


def test_opening_an_action_address_directly_goes_to_the_case(operator_client, demo_project):
    runtime = start(demo_project)
    for action in ("event", "assign", "note"):
        response = operator_client.get(f"/cases/{runtime.pk}/{action}/")
        assert (response.status_code, response["Location"]) == (302, f"/cases/{runtime.pk}/")


def test_history_marks_the_completing_transition_and_shows_its_payload(operator_client, demo_project, without_four_eyes):
    runtime = start(demo_project)
    case_post(operator_client, runtime, "event", {"name": "approve", "confirmed": "1", "payload": '{"reason": "all documents fine"}'})
    html = operator_client.get(f"/cases/{runtime.pk}/").content.decode()
    assert "case completed</span>" in html
    assert "all documents fine" in html


def test_reassign_offers_only_other_operators(operator_client, demo_project):
    runtime = start(demo_project)
    case_post(operator_client, runtime, "assign", {"assignee": "me"})
    html = operator_client.get(f"/cases/{runtime.pk}/").content.decode()
    assert '<option value="op">' not in html


def test_a_refused_note_is_explained_in_the_words_of_the_page(operator_client, demo_project):
    runtime = start(demo_project)
    response = case_post(operator_client, runtime, "note", {"text": "x" * 10_001}, follow=True)
    assert "Note: At most 10000 characters." in response.content.decode()


def start_as(project, actor):
    from workflows.services import workflow_start

    from ..factories import business_context

    return workflow_start(project=project, workflow_id="till_basic_kyb_demo", context=business_context("e-9"), actor=actor).runtime


def test_a_case_keeps_saying_who_started_it_after_that_user_is_deleted(operator_client, demo_project):
    starter = MembershipFactory(project=demo_project, user=UserFactory(username="leaver"), role=Role.OPERATOR).user
    runtime = start_as(demo_project, Actor(user=starter))
    starter.delete()
    html = operator_client.get(f"/cases/{runtime.pk}/").content.decode()
    assert "by leaver" in html


def test_an_api_key_that_started_a_case_cannot_be_deleted(demo_project):
    from django.db.models import ProtectedError

    from projects.services import api_key_create

    key, _ = api_key_create(project=demo_project, name="integration")
    runtime = start_as(demo_project, Actor(api_key=key))
    with pytest.raises(ProtectedError):
        key.delete()
    runtime.refresh_from_db()
    assert (runtime.created_by_api_key, runtime.created_by_label) == (key, "API key integration")
