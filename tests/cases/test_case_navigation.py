"""Back to the queue view a case was opened from, and the previous and next cases of that view
(issue 16 item 3); Add Case Manually beside the queue's title (item 10)."""

import re
from datetime import timedelta
from urllib.parse import parse_qs, quote, urlsplit

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cases.models import Queue
from projects.models import Role
from workflows.actors import Actor
from workflows.models import WorkflowRuntime
from workflows.case_work import case_assign
from workflows.services import workflow_send_event

from .helpers import case_post
from ..factories import MembershipFactory, UserFactory
from ..factories import demo_case_start as start

QUEUE = "/queues/businesses-onboarding/"
CASE_LINK = re.compile(r'href="/cases/([0-9a-f-]{36})/\?from=([^"]*)"')


def case_url(runtime_or_pk) -> str:
    return f"/cases/{getattr(runtime_or_pk, 'pk', runtime_or_pk)}/"


def row_ids(client, query: str = "") -> list[str]:
    """The case ids of a queue page, in the order its rows show them."""
    html = client.get(f"{QUEUE}?{query}").content.decode()
    return [pk for pk, _ in CASE_LINK.findall(html)]


def opened_from(client, runtime_or_pk, view: str):
    return client.get(case_url(runtime_or_pk), {"from": view})


def pk_of(url: str) -> str:
    return urlsplit(url).path.split("/")[2]


def same_view(a: str, b: str) -> bool:
    return urlsplit(a).path == urlsplit(b).path and parse_qs(urlsplit(a).query) == parse_qs(urlsplit(b).query)


def walk(client, first_pk, view: str, direction: str) -> list[str]:
    """Follows the case page's next (or previous) links from `first_pk` to the end."""
    seen, response = [first_pk], opened_from(client, first_pk, view)
    while response.context[f"{direction}_url"]:
        url = response.context[f"{direction}_url"]
        assert same_view(parse_qs(urlsplit(url).query)["from"][0], view)  # every link carries the view on
        seen.append(pk_of(url))
        assert len(seen) < 100, "the walk does not end"
        response = client.get(url)
    return seen


@pytest.fixture
def cases(demo_project, operator_client):
    """Seven business cases with repeated names, states, assignees, creation and due times (ties
    on every sort, NULLs for the sorts that have them), two of them decided, three assigned."""
    names = ["Beta", "Alpha", "Beta", "Gamma", "Alpha", "Delta", "Beta"]
    runtimes = [start(demo_project, f"nav-{n}", name) for n, name in enumerate(names)]
    moment = timezone.now() - timedelta(days=1)
    for n, runtime in enumerate(runtimes):  # pairs created at the same second, due at the same hour
        due = None if n in (2, 5) else moment + timedelta(hours=n // 3)  # two without a due time
        WorkflowRuntime.objects.filter(pk=runtime.pk).update(created_at=moment + timedelta(seconds=n // 2), due_at=due)
    other = MembershipFactory(project=demo_project, user=UserFactory(username="ann"), role=Role.OPERATOR).user
    for runtime, user in ((runtimes[0], other), (runtimes[3], operator_client.user), (runtimes[5], other)):
        case_assign(project=demo_project, runtime_id=runtime.pk, assignee=user, actor=Actor())
    workflow_send_event(project=demo_project, runtime_id=runtimes[1].pk, name="reject", payload={"reason": "r"}, actor=Actor())
    workflow_send_event(project=demo_project, runtime_id=runtimes[6].pk, name="reject", payload={"reason": "r"}, actor=Actor())
    return runtimes


# --- the view in the row links and the back link ---------------------------------------------


def test_each_row_links_to_its_case_with_the_view_it_was_shown_in(operator_client, cases):
    html = operator_client.get(QUEUE, {"status": "any", "sort": "-name", "q": "a"}).content.decode()
    views = {value for _, value in CASE_LINK.findall(html)}
    assert views == {quote(f"{QUEUE}?status=any&q=a&sort=-name", safe="")}


def test_the_row_links_carry_the_page_number_beyond_the_first(operator_client, demo_project, monkeypatch):
    monkeypatch.setattr("cases.views.PAGE_SIZE", 2)
    for n in range(3):
        start(demo_project, f"p-{n}", f"Paged {n}")
    html = operator_client.get(QUEUE, {"sort": "name", "page": "2"}).content.decode()
    assert {value for _, value in CASE_LINK.findall(html)} == {quote(f"{QUEUE}?sort=name&page=2", safe="")}


def test_the_row_links_leave_out_filter_values_the_page_ignored(operator_client, cases):
    html = operator_client.get(QUEUE, {"state": "no-such-state", "sort": "name"}).content.decode()
    assert {value for _, value in CASE_LINK.findall(html)} == {quote(f"{QUEUE}?sort=name", safe="")}


def test_the_back_link_returns_to_the_view_the_case_was_opened_from(operator_client, cases):
    view = f"{QUEUE}?status=any&sort=name&page=1"
    html = opened_from(operator_client, cases[0], view).content.decode()
    assert '<a id="back-to-queue" href="/queues/businesses-onboarding/?status=any&amp;sort=name&amp;page=1">Back to Businesses Onboarding</a>' in html


def test_without_a_view_the_back_link_leads_to_the_cases_queue(operator_client, cases):
    response = operator_client.get(case_url(cases[0]))
    assert response.context["back_url"] == QUEUE
    assert "Back to Businesses Onboarding" in response.content.decode()


@pytest.mark.parametrize(
    "value",
    [
        "https://evil.example/queues/businesses-onboarding/",
        "//evil.example/queues/businesses-onboarding/",
        "///evil.example/queues/businesses-onboarding/",
        "/\\evil.example/queues/businesses-onboarding/",
        "javascript:alert(1)//",
        "JaVaScRiPt:alert(document.cookie)",
        "data:text/html,<script>alert(1)</script>",
        "/queues/secret/",  # another project's queue
        "/queues/no-such-queue/",
        "/admin/",
        "/login/?next=https://evil.example/",
        "queues/businesses-onboarding/",
        "/queues/businesses-onboarding/\t/",
        "/queues/businesses-onboarding/?sort=name#x",
        "/queues/businesses-onboarding/?q=" + "x" * 2100,
    ],
)
def test_a_view_that_is_not_one_of_the_projects_queues_is_refused_for_the_cases_queue(operator_client, cases, other_project, value):
    Queue.objects.create(project=other_project, name="Secret", slug="secret", entity_kind="business")
    response = opened_from(operator_client, cases[0], value)
    assert response.status_code == 200
    assert response.context["back_url"] == QUEUE
    html = response.content.decode()
    assert "evil.example" not in html and "javascript:" not in html.lower() and "/queues/secret/" not in html
    assert all(parse_qs(urlsplit(response.context[k]).query)["from"] == [QUEUE] for k in ("previous_url", "next_url") if response.context[k])


def test_a_view_of_another_queue_of_the_project_is_kept(operator_client, cases):
    response = opened_from(operator_client, cases[0], "/queues/individuals-kyc/?status=any")
    assert response.context["back_url"] == "/queues/individuals-kyc/?status=any"
    assert "Back to Individuals KYC" in response.content.decode()


def test_the_view_is_written_back_as_a_plain_query_string(operator_client, cases):
    response = opened_from(operator_client, cases[0], f'{QUEUE}?q="><script>alert(1)</script>&sort=name')
    assert response.context["back_url"] == f"{QUEUE}?q=%22%3E%3Cscript%3Ealert%281%29%3C%2Fscript%3E&sort=name"
    assert "<script>alert(1)" not in response.content.decode()


def test_the_view_is_remembered_through_the_cases_own_forms(operator_client, cases):
    view = f"{QUEUE}?status=any&sort=name"
    opened_from(operator_client, cases[2], view)
    response = case_post(operator_client, cases[2], "assign", {"assignee": "me"}, follow=True)
    assert "Assigned to op." in response.content.decode()
    assert response.context["back_url"] == view
    assert parse_qs(urlsplit(response.context["next_url"]).query)["from"] == [view]


def test_a_case_opened_from_another_view_later_leads_back_to_that_one(operator_client, cases):
    opened_from(operator_client, cases[2], f"{QUEUE}?sort=name")
    opened_from(operator_client, cases[2], f"{QUEUE}?sort=-created")
    assert operator_client.get(case_url(cases[2])).context["back_url"] == f"{QUEUE}?sort=-created"


# --- previous and next walk the view ---------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    [
        "",  # the queue's default: open cases, newest first
        "status=any",
        "status=any&sort=name",
        "status=any&sort=-name",
        "status=any&sort=state",
        "status=any&sort=-status",
        "status=any&sort=assignee",  # NULLs for the unassigned, sorted at one end
        "status=any&sort=-assignee",
        "status=any&sort=created",  # ties on created_at
        "status=any&sort=-updated",
        "status=any&sort=correlation_id",
        "status=any&sort=due",  # cases without a due time last, in either direction
        "status=any&sort=-due",
        "sort=due&assignee=unassigned",
        "due=overdue&sort=-name",
        "status=any&sort=definition",  # one workflow in the queue: the order is the id's
        "status=any&sort=state,-name",  # a hand-made sort on two keys
        "status=any&sort=-assignee,created",
        "status=any&q=beta&sort=name",
        "status=any&assignee=unassigned&sort=-created",
        "sort=name&assignee=me",
    ],
)
def test_next_and_previous_walk_the_view_in_the_order_of_its_rows(operator_client, cases, query):
    rows = row_ids(operator_client, query)
    assert rows, "the view shows cases"
    view = f"{QUEUE}?{query}" if query else QUEUE
    assert walk(operator_client, rows[0], view, "next") == rows
    assert walk(operator_client, rows[-1], view, "previous") == rows[::-1]


def test_the_first_case_has_no_previous_link_and_the_last_no_next(operator_client, cases):
    view = f"{QUEUE}?status=any&sort=name"
    rows = row_ids(operator_client, "status=any&sort=name")
    first, last = opened_from(operator_client, rows[0], view), opened_from(operator_client, rows[-1], view)
    assert first.context["previous_url"] == "" and first.context["next_url"]
    assert 'id="case-previous"' not in first.content.decode() and "First case" in first.content.decode()
    assert last.context["next_url"] == "" and last.context["previous_url"]
    assert 'id="case-next"' not in last.content.decode() and "Last case" in last.content.decode()


def test_a_case_that_has_left_the_view_still_leads_to_its_neighbours_there(operator_client, cases):
    """A case decided from an open-cases view is no longer in it; its place in the order still is."""
    rows = row_ids(operator_client, "sort=name")
    middle = rows[len(rows) // 2]
    workflow_send_event(project=cases[0].project, runtime_id=middle, name="reject", payload={"reason": "r"}, actor=Actor())
    response = opened_from(operator_client, middle, f"{QUEUE}?sort=name")
    assert pk_of(response.context["previous_url"]) == rows[len(rows) // 2 - 1]
    assert pk_of(response.context["next_url"]) == rows[len(rows) // 2 + 1]


def test_neighbours_stay_in_the_project(operator_client, cases, other_project):
    from tests.factories import demo_case_start
    from workflows.definition_files import definition_file_load, demo_definition_paths

    for path in demo_definition_paths():
        definition_file_load(project=other_project, path=path)
    foreign = {str(demo_case_start(other_project, f"x-{n}", "Beta").pk) for n in range(3)}
    walked = walk(operator_client, row_ids(operator_client, "status=any&sort=name")[0], f"{QUEUE}?status=any&sort=name", "next")
    assert not foreign & set(walked)


def test_a_viewer_walks_the_view_too(cases, demo_project):
    from django.test import Client

    viewer = MembershipFactory(project=demo_project, user=UserFactory(username="vic"), role=Role.VIEWER).user
    client = Client()
    client.force_login(viewer)
    rows = row_ids(client, "status=any&sort=name")
    assert walk(client, rows[0], f"{QUEUE}?status=any&sort=name", "next") == rows


# --- queries ---------------------------------------------------------------------------------


def queries(client, url, data=None) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url, data).status_code == 200
    return len(captured)


def test_the_case_page_reads_its_neighbours_in_one_query_whatever_the_queues_size(operator_client, demo_project):
    few = [start(demo_project, f"few-{n}", f"Few {n}") for n in range(3)]
    view = f"{QUEUE}?status=any&sort=name"
    opened_from(operator_client, few[1], view)  # remembered: the next reads write no session
    counted_few = queries(operator_client, case_url(few[1]), {"from": view})
    many = [start(demo_project, f"many-{n}", f"Many {n}") for n in range(40)]
    opened_from(operator_client, many[20], view)
    assert queries(operator_client, case_url(many[20]), {"from": view}) == counted_few
    opened_from(operator_client, many[0], view)
    assert queries(operator_client, case_url(many[0]), {"from": view}) == counted_few  # an end of the view


def test_neighbours_take_one_query_for_both_links(operator_client, demo_project):
    from cases.navigation import view_neighbours
    from cases.selectors import queue_runtimes

    runtimes = [start(demo_project, f"q-{n}", "Same name") for n in range(5)]
    queue = Queue.objects.get(slug="businesses-onboarding")
    queryset = queue_runtimes(queue=queue).order_by("entity_name", "pk")
    middle = WorkflowRuntime.objects.select_related("definition").get(pk=sorted(r.pk for r in runtimes)[2])
    with CaptureQueriesContext(connection) as captured:
        previous, following = view_neighbours(queryset, middle)
    assert len(captured) == 1
    assert "OFFSET" not in captured[0]["sql"].upper()
    ids = sorted(r.pk for r in runtimes)
    assert (previous, following) == (ids[1], ids[3])


def test_the_queue_page_takes_as_many_queries_for_one_row_as_for_a_full_page(operator_client, demo_project):
    start(demo_project, "one", "One")
    one = queries(operator_client, QUEUE, {"sort": "name"})
    for n in range(30):
        start(demo_project, f"full-{n}", f"Full {n}")
    assert queries(operator_client, QUEUE, {"sort": "name"}) == one


# --- Add Case Manually beside the title ------------------------------------------------------


def test_add_case_manually_is_also_beside_the_queues_title(operator_client, cases):
    html = operator_client.get(QUEUE).content.decode()
    top = re.search(r'<a class="btn btn-sm btn-success" id="add-case-top" href="([^"]+)">Add Case Manually</a>', html)
    assert top and top.group(1) == "/queues/businesses-onboarding/new/?definition=till_basic_kyb_demo"
    assert html.index('id="add-case-top"') < html.index("<h1") + 400 < html.index("<table")
    assert html.rindex("Add Case Manually") > html.index("</table>")  # and still at the bottom


def test_viewers_see_no_add_case_manually_beside_the_title(cases, demo_project):
    from django.test import Client

    viewer = MembershipFactory(project=demo_project, user=UserFactory(username="vic"), role=Role.VIEWER).user
    client = Client()
    client.force_login(viewer)
    assert "Add Case Manually" not in client.get(QUEUE).content.decode()


def test_add_case_manually_beside_the_title_is_hidden_when_the_definition_disables_it(operator_client, cases):
    from workflows.models import WorkflowDefinitionVersion

    WorkflowDefinitionVersion.objects.filter(definition__key="till_basic_kyb_demo").update(config={"enableManualCreation": False})
    assert 'id="add-case-top"' not in operator_client.get(QUEUE).content.decode()
