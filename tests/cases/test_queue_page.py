"""The queue page with bad or unusual query strings: what the operator sees (SPEC section 5)."""

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from workflows.actors import Actor
from workflows.models import WorkflowRuntime
from workflows.services import workflow_send_event

from ..factories import demo_case_start as start

QUEUE_URL = "/queues/businesses-onboarding/"


def alert(html: str) -> str:
    """The text of the 'filters ignored' alert at the top of the page, tags removed."""
    match = re.search(r'<div class="alert alert-warning[^"]*" role="alert" id="ignored-filters">(.*?)</div>', html, re.S)
    assert match, "no alert about ignored filters"
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", match.group(1))).strip()


def listed_names(html: str) -> list[str]:
    return re.findall(r'<td class="name[^"]*"><a href="/cases/[^"?]+/(?:\?from=[^"]*)?">([^<]*)</a>', html)


def field_html(html: str, name: str) -> str:
    """The filter form's widget for `name` (an <input> or a whole <select>)."""
    select = re.search(rf'<select name="{name}"[^>]*>.*?</select>', html, re.S)
    return select.group(0) if select else re.search(rf'<input [^>]*name="{name}"[^>]*>', html).group(0)


@pytest.fixture
def cases(demo_project):
    """Three open cases, oldest first, and one completed."""
    alpha = start(demo_project, "e1", "Alpha Trading")
    beta = start(demo_project, "e2", "Beta Foods")
    gamma = start(demo_project, "e3", "Gamma Tools")
    done = start(demo_project, "e4", "Done Co")
    workflow_send_event(project=demo_project, runtime_id=done.pk, name="approve", actor=Actor())
    base = timezone.now() - timedelta(days=10)
    for offset, runtime in enumerate((alpha, beta, gamma, done)):
        WorkflowRuntime.objects.filter(pk=runtime.pk).update(created_at=base + timedelta(days=offset))
    return alpha, beta, gamma, done


def test_an_unknown_sort_is_ignored_and_cases_are_listed_newest_first(operator_client, cases):
    html = operator_client.get(QUEUE_URL, {"sort": "bogus"}).content.decode()
    assert listed_names(html) == ["Gamma Tools", "Beta Foods", "Alpha Trading"]
    assert "3 cases" in html
    assert 'name="sort" value="bogus"' not in html


def test_an_invalid_date_is_named_in_an_alert_and_the_other_filters_still_apply(operator_client, cases):
    html = operator_client.get(QUEUE_URL, {"created_after": "notadate", "q": "alpha"}).content.decode()
    assert "Created from: Enter a valid date." in alert(html)
    assert listed_names(html) == ["Alpha Trading"]
    assert "1 case" in html


def test_an_invalid_value_is_shown_as_an_error_beside_its_field(operator_client, cases):
    html = operator_client.get(QUEUE_URL, {"created_after": "notadate"}).content.decode()
    field = html.split('for="id_created_after"', 1)[1].split('for="id_created_before"', 1)[0]
    assert "Enter a valid date." in field
    assert 'aria-invalid="true"' in field_html(html, "created_after")


@pytest.mark.parametrize(
    "param, value, label",
    [("status", "weird", "Status"), ("state", "weird", "State"), ("assignee", "99999", "Assignee")],
)
def test_an_unknown_choice_is_reported_and_the_cases_are_listed_without_it(operator_client, cases, param, value, label):
    html = operator_client.get(QUEUE_URL, {param: value}).content.decode()
    assert f"{label}: Select a valid choice. {value} is not one of the available choices." in alert(html)
    # Only the bad filter is dropped: the queue's default (open cases) still applies.
    assert sorted(listed_names(html)) == ["Alpha Trading", "Beta Foods", "Gamma Tools"]
    assert "No cases match these filters." not in html


def test_an_ignored_choice_leaves_its_field_showing_what_applies(operator_client, cases):
    html = operator_client.get(QUEUE_URL, {"status": "weird", "assignee": "99999"}).content.decode()
    assert '<option value="active" selected>' in field_html(html, "status")
    assert '<option value="" selected>Anyone</option>' in field_html(html, "assignee")


def test_sort_and_page_links_leave_an_ignored_filter_out(operator_client, demo_project):
    for i in range(26):
        start(demo_project, f"p{i}", f"Paged {i}")
    html = operator_client.get(QUEUE_URL, {"created_after": "notadate", "q": "Paged"}).content.decode()
    links = re.findall(r'href="(\?[^"]*)"', html)
    assert links and all("notadate" not in link and "q=Paged" in link for link in links)


def test_a_created_from_later_than_created_until_says_so_and_keeps_the_start_date(operator_client, cases):
    beta = cases[1]
    start_date = timezone.localdate(WorkflowRuntime.objects.get(pk=beta.pk).created_at)
    end_date = start_date - timedelta(days=3)
    html = operator_client.get(QUEUE_URL, {"created_after": start_date.isoformat(), "created_before": end_date.isoformat()}).content.decode()
    assert f"Created until: {end_date.isoformat()} is earlier than “Created from” ({start_date.isoformat()})." in alert(html)
    assert listed_names(html) == ["Gamma Tools", "Beta Foods"]


def test_the_ignored_value_is_shown_escaped(operator_client, cases):
    html = operator_client.get(QUEUE_URL, {"created_after": "<b>x</b>"}).content.decode()
    assert "&lt;b&gt;x&lt;/b&gt;" in alert(html)
    assert "<b>x</b>" not in html


def test_valid_filters_show_no_alert(operator_client, cases):
    html = operator_client.get(QUEUE_URL, {"status": "any", "q": "o"}).content.decode()
    assert 'id="ignored-filters"' not in html


@pytest.mark.parametrize("page", ["0", "-1", "abc"])
def test_a_page_number_below_one_or_not_a_number_shows_the_first_page(operator_client, demo_project, page):
    for i in range(27):
        start(demo_project, f"p{i}", f"Paged {i}")
    html = operator_client.get(QUEUE_URL, {"page": page}).content.decode()
    assert "Page 1 of 2" in html
    assert "Paged 26" in html  # the newest case is on the first page


def test_an_ignored_filter_takes_as_many_queries_as_a_valid_one(operator_client, cases):
    operator_client.get(QUEUE_URL)
    with CaptureQueriesContext(connection) as valid:
        operator_client.get(QUEUE_URL, {"created_after": "2000-01-01"})
    with CaptureQueriesContext(connection) as invalid:
        operator_client.get(QUEUE_URL, {"created_after": "notadate"})
    assert len(invalid) == len(valid)


def sorted_headers(html: str) -> dict[str, str]:
    """Column header text -> its aria-sort, for the headers that carry one."""
    return {
        re.sub(r"<[^>]+>|[▲▼]", "", text).strip(): sort
        for sort, text in re.findall(r'<th[^>]*\baria-sort="(\w+)"[^>]*>(.*?)</th>', html, re.S)
    }


@pytest.mark.parametrize(
    "sort, expected",
    [("name", {"Entity": "ascending"}), ("-state", {"State": "descending"}), ("", {"Created": "descending"})],
)
def test_the_sorted_column_header_says_how_it_is_sorted(operator_client, cases, sort, expected):
    html = operator_client.get(QUEUE_URL, {"sort": sort} if sort else {}).content.decode()
    assert sorted_headers(html) == expected


def test_the_page_links_a_favicon_that_is_served(operator_client, cases):
    html = operator_client.get(QUEUE_URL).content.decode()
    href = re.search(r'<link rel="icon" href="([^"]+)"', html).group(1)
    response = operator_client.get(href)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("image/")


def test_browsers_asking_for_favicon_ico_are_sent_to_the_icon(operator_client):
    response = operator_client.get("/favicon.ico")
    assert response.status_code == 301
    assert response["Location"].endswith("favicon.svg")


def workflow_header_count(html: str) -> int:
    return len(re.findall(r"<th [^>]*>\s*<a [^>]*>Workflow", html))


def test_a_one_workflow_queue_has_no_workflow_column(operator_client, cases):
    html = operator_client.get(QUEUE_URL).content.decode()
    assert workflow_header_count(html) == 0
    assert '<td class="workflow' not in html


def test_a_queue_of_two_workflows_names_each_case_s_workflow(operator_client, cases, demo_project):
    from cases.models import Queue
    from workflows.models import WorkflowDefinition

    queue = Queue.objects.get(project=demo_project, slug="businesses-onboarding")
    queue.definitions.add(WorkflowDefinition.objects.get(project=demo_project, key="kyb_ubo_demo"))
    html = operator_client.get(QUEUE_URL).content.decode()
    assert workflow_header_count(html) == 1
    assert html.count('<td class="workflow') == len(listed_names(html)) == 3
