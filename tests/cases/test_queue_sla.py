"""Due times (slaHours) and search in the queue: the columns, the due sort and filters, the
menu's overdue counts, registration numbers and case ids, the closed-matches hint (issue 16,
items 4 and 8)."""

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cases import filters, selectors, views
from cases.filters import case_id_range
from cases.models import Queue
from cases.selectors import case_name, queue_list, queue_menu_counts
from workflows.actors import Actor
from workflows.models import RuntimeStatus, WorkflowRuntime
from workflows.services import workflow_send_event, workflow_start
from workflows.sla import due_time, sla_hours

from ..factories import DefinitionFactory, DefinitionVersionFactory, business_context, demo_case_start as start

QUEUE_URL = "/queues/businesses-onboarding/"


def rows(html: str) -> list[tuple[str, str]]:
    """(case id, name) of each row, in order."""
    return re.findall(r'<td class="name[^"]*"><a href="/cases/([0-9a-f-]{36})/[^"]*">([^<]*)</a>', html)


def names(html: str) -> list[str]:
    return [name for _, name in rows(html)]


def due_in(runtime, delta: timedelta):
    WorkflowRuntime.objects.filter(pk=runtime.pk).update(due_at=timezone.now() + delta)


def close(project, runtime):
    workflow_send_event(project=project, runtime_id=runtime.pk, name="reject", actor=Actor(), payload={"reason": "Business type not accepted"})


@pytest.fixture
def timed(demo_project):
    """Open cases overdue by 2 days and by 3 hours, due in 5 hours and in 3 days, one without a due
    time, and a closed one past its due time."""
    made = {
        "late": start(demo_project, "e1", "Late Two Days"),
        "lateish": start(demo_project, "e2", "Late Three Hours"),
        "soon": start(demo_project, "e3", "Soon Five Hours"),
        "later": start(demo_project, "e4", "Later Three Days"),
        "none": start(demo_project, "e5", "No Due Time"),
        "closed": start(demo_project, "e6", "Closed Past Due"),
    }
    due_in(made["late"], -timedelta(days=2, minutes=5))
    due_in(made["lateish"], -timedelta(hours=3, minutes=5))
    due_in(made["soon"], timedelta(hours=5, minutes=5))
    due_in(made["later"], timedelta(days=3, minutes=5))
    WorkflowRuntime.objects.filter(pk=made["none"].pk).update(due_at=None)
    close(demo_project, made["closed"])
    due_in(made["closed"], -timedelta(days=9))
    return made


# --- the due time itself ----------------------------------------------------------------------


def test_a_case_is_due_sla_hours_after_it_was_created(demo_project):
    runtime = start(demo_project)  # the demo's KYB: slaHours 48
    runtime.refresh_from_db()
    assert runtime.definition_version.config["slaHours"] == 48
    assert abs(runtime.due_at - (runtime.created_at + timedelta(hours=48))) < timedelta(seconds=5)


def test_a_case_of_a_version_without_sla_hours_has_no_due_time(demo_project):
    definition = DefinitionFactory(project=demo_project, key="no_sla")
    DefinitionVersionFactory(definition=definition, config={})
    runtime = workflow_start(project=demo_project, workflow_id="no_sla", context=business_context("e9"), actor=Actor()).runtime
    runtime.refresh_from_db()
    assert runtime.due_at is None


@pytest.mark.parametrize("config", [{}, {"slaHours": 0}, {"slaHours": -3}, {"slaHours": True}, {"slaHours": "48"}, None])
def test_only_a_positive_number_of_sla_hours_gives_a_due_time(config):
    assert sla_hours(config) is None
    assert due_time(config, timezone.now()) is None


def test_fractional_sla_hours_are_kept():
    now = timezone.now()
    assert due_time({"slaHours": 1.5}, now) == now + timedelta(minutes=90)


def test_the_api_gives_due_at_in_the_list_and_the_detail(demo_project, client):
    from projects.services import api_key_create

    runtime = start(demo_project)
    runtime.refresh_from_db()
    _, raw = api_key_create(project=demo_project, name="t")
    headers = {"Authorization": f"Bearer {raw}"}
    detail = client.get(f"/api/v1/external/workflows/{runtime.pk}", headers=headers).json()
    listed = client.get("/api/v1/external/workflows", headers=headers).json()["data"][0]
    expected = runtime.due_at.isoformat().replace("+00:00", "Z")
    assert detail["dueAt"] == expected and listed["dueAt"] == expected


def test_the_api_gives_null_due_at_without_sla_hours(demo_project, client):
    from projects.services import api_key_create

    runtime = start(demo_project)
    WorkflowRuntime.objects.filter(pk=runtime.pk).update(due_at=None)
    _, raw = api_key_create(project=demo_project, name="t")
    detail = client.get(f"/api/v1/external/workflows/{runtime.pk}", headers={"Authorization": f"Bearer {raw}"}).json()
    assert detail["dueAt"] is None


# --- the queue's columns, sort and filters ---------------------------------------------------


def test_the_due_column_says_due_in_or_overdue_by_for_open_cases(operator_client, timed):
    html = operator_client.get(QUEUE_URL, {"status": "any"}).content.decode()
    cells = dict(zip(names(html), re.findall(r'<td class="d-none d-sm-table-cell due">(.*?)</td>', html, re.S)))
    assert "overdue by 2 d" in cells["Late Two Days"] and "case-overdue" in cells["Late Two Days"]
    assert "overdue by 3 h" in cells["Late Three Hours"]
    assert "due in 5 h" in cells["Soon Five Hours"] and "case-overdue" not in cells["Soon Five Hours"]
    assert "due in 3 d" in cells["Later Three Days"]
    assert cells["No Due Time"].strip() == "" and cells["Closed Past Due"].strip() == ""


def test_the_age_column_counts_from_creation(operator_client, demo_project):
    runtime = start(demo_project, "e1", "Aged Co")
    WorkflowRuntime.objects.filter(pk=runtime.pk).update(created_at=timezone.now() - timedelta(days=4, hours=1))
    html = operator_client.get(QUEUE_URL).content.decode()
    assert re.search(r'<td class="d-none d-md-table-cell age"><span class="case-age" title="Created [^"]+">4 d</span></td>', html)


def test_sort_due_puts_the_most_overdue_first_and_cases_without_a_due_time_last(operator_client, timed):
    html = operator_client.get(QUEUE_URL, {"sort": "due"}).content.decode()
    assert names(html) == ["Late Two Days", "Late Three Hours", "Soon Five Hours", "Later Three Days", "No Due Time"]


def test_sort_minus_due_is_the_exact_reverse(operator_client, timed):
    html = operator_client.get(QUEUE_URL, {"sort": "-due"}).content.decode()
    assert names(html) == ["No Due Time", "Later Three Days", "Soon Five Hours", "Late Three Hours", "Late Two Days"]


def test_the_due_header_sorts_by_due_and_keeps_the_filters(operator_client, timed):
    html = operator_client.get(QUEUE_URL, {"q": "late"}).content.decode()
    assert re.search(r'<th scope="col" class="d-none d-sm-table-cell"><a href="\?q=late&amp;sort=due">Due</a></th>', html)


def test_due_overdue_lists_open_cases_past_their_due_time_only(operator_client, timed):
    html = operator_client.get(QUEUE_URL, {"due": "overdue", "status": "any"}).content.decode()
    assert sorted(names(html)) == ["Late Three Hours", "Late Two Days"]
    assert "2 cases" in html


def test_due_today_lists_open_cases_due_before_midnight(operator_client, timed, monkeypatch):
    # At 10:00 local time, "in 5 hours" is today and "in 3 days" is not.
    fixed = timezone.make_aware(timezone.datetime(2026, 12, 1, 10, 0))
    WorkflowRuntime.objects.filter(pk=timed["soon"].pk).update(due_at=fixed + timedelta(hours=5))
    WorkflowRuntime.objects.filter(pk=timed["later"].pk).update(due_at=fixed + timedelta(days=3))
    WorkflowRuntime.objects.filter(pk=timed["lateish"].pk).update(due_at=fixed - timedelta(hours=3))
    WorkflowRuntime.objects.filter(pk=timed["late"].pk).update(due_at=fixed - timedelta(days=2))
    monkeypatch.setattr(filters.timezone, "now", lambda: fixed)
    monkeypatch.setattr(filters.timezone, "localdate", lambda: fixed.date())
    html = operator_client.get(QUEUE_URL, {"due": "today"}).content.decode()
    assert names(html) == ["Soon Five Hours"]


def test_an_unknown_due_value_is_reported_and_ignored(operator_client, timed):
    html = operator_client.get(QUEUE_URL, {"due": "someday"}).content.decode()
    assert 'id="ignored-filters"' in html and "Due" in html
    assert len(names(html)) == 5


def test_the_due_filter_is_in_the_url_of_the_sort_and_page_links(operator_client, timed):
    html = operator_client.get(QUEUE_URL, {"due": "overdue"}).content.decode()
    assert "?due=overdue&amp;sort=due" in html


def test_the_due_sort_and_filter_pages_use_the_same_queries_whatever_the_page_size(operator_client, demo_project):
    first = start(demo_project, "e0")
    due_in(first, -timedelta(hours=1))
    url = f"{QUEUE_URL}?due=overdue&sort=due"
    operator_client.get(url)
    with CaptureQueriesContext(connection) as one:
        operator_client.get(url)
    for i in range(1, 30):
        due_in(start(demo_project, f"e{i}"), -timedelta(hours=i + 1))
    with CaptureQueriesContext(connection) as many:
        html = operator_client.get(url).content.decode()
    assert len(names(html)) == views.PAGE_SIZE
    assert len(many) == len(one)


def test_a_deep_page_of_the_due_sort_read_from_the_end_shows_the_same_rows(operator_client, demo_project, monkeypatch):
    made = [start(demo_project, f"e{i}", f"Co {i:02d}") for i in range(12)]
    for i, runtime in enumerate(made):
        if i % 4:
            due_in(runtime, timedelta(hours=i))
        else:
            WorkflowRuntime.objects.filter(pk=runtime.pk).update(due_at=None)
    monkeypatch.setattr(views, "PAGE_SIZE", 5)
    forwards = []
    for page in (1, 2, 3):
        forwards += names(operator_client.get(QUEUE_URL, {"sort": "due", "page": page}).content.decode())
    from cases import pagination

    monkeypatch.setattr(pagination, "IDS_FIRST_OFFSET", 5)
    last = names(operator_client.get(QUEUE_URL, {"sort": "due", "page": 3}).content.decode())
    assert len(forwards) == 12 and last == forwards[10:]
    assert sorted(forwards[-3:]) == ["Co 00", "Co 04", "Co 08"]  # the three without a due time
    assert forwards[:9] == [f"Co {i:02d}" for i in range(12) if i % 4]


# --- the menu -----------------------------------------------------------------------------------


def test_the_menu_shows_each_queues_overdue_count_next_to_its_open_count(operator_client, timed):
    html = operator_client.get(QUEUE_URL).content.decode()
    assert re.search(r'title="open cases">5</span> <span class="badge rounded-pill text-bg-danger queue-overdue" title="open cases past their due time">2<span class="visually-hidden"> overdue</span>', html)


def test_the_menu_shows_no_overdue_badge_when_nothing_is_overdue(operator_client, demo_project):
    due_in(start(demo_project), timedelta(hours=3))
    html = operator_client.get(QUEUE_URL).content.decode()
    assert "queue-overdue" not in html


def test_open_and_overdue_menu_counts_take_one_query_for_all_queues(demo_project, timed, django_assert_num_queries):
    queues = queue_list(project=demo_project)
    with django_assert_num_queries(1):
        counts = queue_menu_counts(project=demo_project, queues=queues)
    assert counts[Queue.objects.get(slug="businesses-onboarding").pk] == (5, 2)


def test_menu_counts_of_a_small_project_are_counted_on_every_page(demo_project, timed, django_assert_num_queries):
    queues = queue_list(project=demo_project)
    queue_menu_counts(project=demo_project, queues=queues)
    with django_assert_num_queries(1):
        queue_menu_counts(project=demo_project, queues=queues)


def test_menu_counts_of_a_large_project_are_read_from_the_cache_for_a_while(demo_project, timed, monkeypatch, django_assert_num_queries):
    from django.core.cache import cache

    cache.clear()
    monkeypatch.setattr(selectors, "MENU_COUNTS_CACHE_FROM", 3)
    queues = queue_list(project=demo_project)
    first = queue_menu_counts(project=demo_project, queues=queues)
    start(demo_project, "e99", "One More")
    with django_assert_num_queries(0):
        assert queue_menu_counts(project=demo_project, queues=queues) == first
    with django_assert_num_queries(1):
        uncached = queue_menu_counts(project=demo_project, queues=queues, cached=False)
    assert uncached[Queue.objects.get(slug="businesses-onboarding").pk][0] == 6
    cache.clear()


def test_the_overdue_count_is_capped_like_the_open_count(demo_project, timed, monkeypatch):
    monkeypatch.setattr(selectors, "COUNT_CAP", 1)
    counts = queue_menu_counts(project=demo_project, queues=queue_list(project=demo_project), cached=False)
    assert counts[Queue.objects.get(slug="businesses-onboarding").pk] == (2, 2)  # each stops at cap + 1


# --- the case page -------------------------------------------------------------------------------


def test_the_case_page_shows_the_due_time_marked_when_overdue(operator_client, timed):
    html = operator_client.get(f"/cases/{timed['late'].pk}/").content.decode()
    due = re.search(r'<span id="case-due">(.*?)</span>\s*</p>', html, re.S).group(1)
    assert "<time datetime=" in due and "overdue by 2 d" in due and "case-overdue" in due


def test_the_case_page_of_a_closed_case_shows_its_due_time_without_marking_it(operator_client, timed):
    html = operator_client.get(f"/cases/{timed['closed'].pk}/").content.decode()
    assert 'id="case-due"' in html and "overdue by" not in html


def test_the_case_page_without_a_due_time_says_nothing_of_it(operator_client, timed):
    html = operator_client.get(f"/cases/{timed['none'].pk}/").content.decode()
    assert 'id="case-due"' not in html


# --- search --------------------------------------------------------------------------------------


def test_a_case_copies_its_registration_number_from_its_own_context(demo_project):
    runtime = start(demo_project, "e1", "Numbered Ltd", registrationNumber=" HRB-12345 ")
    runtime.refresh_from_db()
    assert runtime.entity_registration_number == "HRB-12345"


def test_search_finds_a_case_by_its_registration_number(operator_client, demo_project):
    start(demo_project, "e1", "Numbered Ltd", registrationNumber="HRB-12345")
    start(demo_project, "e2", "Other Ltd", registrationNumber="HRB-99999")
    html = operator_client.get(QUEUE_URL, {"q": "hrb-123"}).content.decode()
    assert names(html) == ["Numbered Ltd"]


def test_search_finds_a_case_by_its_whole_id(operator_client, demo_project):
    wanted = start(demo_project, "e1", "Wanted Ltd")
    start(demo_project, "e2", "Other Ltd")
    html = operator_client.get(QUEUE_URL, {"q": str(wanted.pk).upper()}).content.decode()
    assert names(html) == ["Wanted Ltd"]


def test_search_finds_a_case_by_the_first_eight_digits_of_its_id(operator_client, demo_project):
    wanted = start(demo_project, "e1", "Wanted Ltd")
    start(demo_project, "e2", "Other Ltd")
    html = operator_client.get(QUEUE_URL, {"q": str(wanted.pk)[:8]}).content.decode()
    assert [pk for pk, _ in rows(html)] == [str(wanted.pk)]


def test_seven_digits_are_not_searched_as_a_case_id(operator_client, demo_project):
    wanted = start(demo_project, "e1", "Wanted Ltd")
    html = operator_client.get(QUEUE_URL, {"q": str(wanted.pk)[:7]}).content.decode()
    assert names(html) == []


@pytest.mark.parametrize("term", ["abcdefg", "not-an-id", "0123456789abcdefg", "zzzzzzzz", "0123-4567", "a" * 33])
def test_terms_that_are_not_the_start_of_a_uuid_give_no_id_range(term):
    assert case_id_range(term) is None


def test_a_uuid_prefix_covers_every_id_that_starts_with_it():
    low, high = case_id_range("3f2a9c1b-77")
    assert str(low) == "3f2a9c1b-7700-0000-0000-000000000000"
    assert str(high) == "3f2a9c1b-77ff-ffff-ffff-ffffffffffff"


def test_search_by_id_stays_in_the_queue(operator_client, demo_project):
    from ..factories import individual_context

    person = workflow_start(project=demo_project, workflow_id="individual_kyc_demo", context=individual_context("p1"), actor=Actor()).runtime
    html = operator_client.get(QUEUE_URL, {"q": str(person.pk)}).content.decode()
    assert names(html) == [] and "No cases match" in html


def test_the_list_names_each_case_from_its_own_context_as_the_case_page_does(operator_client, demo_project):
    first = start(demo_project, "same-id", "Old Name Ltd")
    close(demo_project, first)
    second = start(demo_project, "same-id", "New Name Ltd")
    html = operator_client.get(QUEUE_URL, {"status": "any"}).content.decode()
    listed = {pk: name for pk, name in rows(html)}
    for runtime in (first, second):
        shown = WorkflowRuntime.objects.select_related("entity").get(pk=runtime.pk)
        assert listed[str(runtime.pk)] == case_name(shown)
    assert listed[str(first.pk)] == "Old Name Ltd"


# --- the closed-matches hint ---------------------------------------------------------------------


@pytest.fixture
def smiths(demo_project):
    start(demo_project, "e1", "Smith Open Ltd")
    for n in (2, 3):
        close(demo_project, start(demo_project, f"e{n}", f"Smith Closed {n} Ltd"))
    close(demo_project, start(demo_project, "e4", "Jones Closed Ltd"))


def hint(html: str) -> str:
    match = re.search(r'<p class="alert alert-info[^"]*" role="status" id="closed-matches">(.*?)</p>', html, re.S)
    return re.sub(r"\s+", " ", match.group(1)).strip() if match else ""


def test_a_search_whose_status_filter_hides_closed_matches_says_how_many(operator_client, smiths):
    html = operator_client.get(QUEUE_URL, {"q": "smith"}).content.decode()
    assert names(html) == ["Smith Open Ltd"]
    assert "2 closed cases match this search" in hint(html)
    assert 'href="?q=smith&amp;status=any" id="closed-matches-link"' in html or 'id="closed-matches-link" href="?q=smith&amp;status=any"' in html


def test_the_hint_links_to_the_same_search_showing_them(operator_client, smiths):
    html = operator_client.get(QUEUE_URL, {"q": "smith", "sort": "name"}).content.decode()
    link = re.search(r'id="closed-matches-link" href="\?([^"]+)"', html).group(1).replace("&amp;", "&")
    shown = operator_client.get(f"{QUEUE_URL}?{link}").content.decode()
    assert names(shown) == ["Smith Closed 2 Ltd", "Smith Closed 3 Ltd", "Smith Open Ltd"]
    assert hint(shown) == ""


def test_one_closed_match_is_named_in_the_singular(operator_client, smiths):
    html = operator_client.get(QUEUE_URL, {"q": "jones"}).content.decode()
    assert names(html) == [] and "1 closed case matches this search" in hint(html)


def test_a_search_with_no_closed_match_shows_no_hint(operator_client, smiths):
    assert hint(operator_client.get(QUEUE_URL, {"q": "open ltd"}).content.decode()) == ""


def test_no_hint_without_a_search_or_when_every_status_is_shown(operator_client, smiths):
    assert hint(operator_client.get(QUEUE_URL).content.decode()) == ""
    assert hint(operator_client.get(QUEUE_URL, {"q": "smith", "status": "any"}).content.decode()) == ""


def test_the_hint_names_only_the_hidden_status_when_one_closed_status_is_shown(operator_client, smiths):
    html = operator_client.get(QUEUE_URL, {"q": "smith", "status": "failed"}).content.decode()
    assert "2 closed cases match" in hint(html)
    assert 'href="?q=smith&amp;status=completed"' in html


def test_the_closed_count_is_capped(operator_client, smiths, monkeypatch):
    monkeypatch.setattr(filters, "CLOSED_MATCHES_CAP", 1)
    assert "1+ closed cases match" in hint(operator_client.get(QUEUE_URL, {"q": "smith"}).content.decode())


def test_the_hint_keeps_to_the_other_filters(operator_client, smiths, demo_project):
    html = operator_client.get(QUEUE_URL, {"q": "smith", "assignee": "unassigned"}).content.decode()
    assert "2 closed cases match" in hint(html)
    html = operator_client.get(QUEUE_URL, {"q": "smith", "assignee": "me"}).content.decode()
    assert hint(html) == ""


def test_a_search_page_uses_the_same_queries_whatever_the_page_size(operator_client, demo_project):
    start(demo_project, "e0", "Smith 0")
    close(demo_project, start(demo_project, "c0", "Smith closed"))
    url = f"{QUEUE_URL}?q=smith"
    operator_client.get(url)
    with CaptureQueriesContext(connection) as one:
        operator_client.get(url)
    for i in range(1, 30):
        start(demo_project, f"e{i}", f"Smith {i}")
    with CaptureQueriesContext(connection) as many:
        html = operator_client.get(url).content.decode()
    assert len(names(html)) == views.PAGE_SIZE and "1 closed case matches" in hint(html)
    assert len(many) == len(one)


def case_count(html: str) -> str:
    return re.search(r'id="case-count">([^<]*)</span>', html).group(1).strip()


def search_counts(queries) -> list[str]:
    """The counting queries of the search (the menu's open and overdue counts search nothing)."""
    return [q["sql"] for q in queries if "COUNT(" in q["sql"] and "LIKE" in q["sql"]]


def test_a_search_hiding_closed_cases_counts_listed_and_hidden_matches_in_one_query(operator_client, smiths):
    with CaptureQueriesContext(connection) as queries:
        html = operator_client.get(QUEUE_URL, {"q": "smith"}).content.decode()
    assert case_count(html) == "1 case" and "2 closed cases match" in hint(html)
    assert len(search_counts(queries)) == 1


def test_a_search_with_more_matches_than_one_query_reads_counts_the_cut_one_on_its_own(operator_client, smiths, monkeypatch):
    # The combined query reads at most COUNT_CAP + CLOSED_MATCHES_CAP + 1 matches (here 2 of
    # the 3): the closed count is past its cap, so exact as shown ("1+"), while the listed one
    # may have been cut and is counted again.
    monkeypatch.setattr(filters, "COUNT_CAP", 0)
    monkeypatch.setattr(filters, "CLOSED_MATCHES_CAP", 1)
    with CaptureQueriesContext(connection) as queries:
        html = operator_client.get(QUEUE_URL, {"q": "smith"}).content.decode()
    assert case_count(html) == "1 case" and "1+ closed cases match" in hint(html)
    assert len(search_counts(queries)) == 2


def test_a_search_showing_one_closed_status_counts_the_other_as_hidden(operator_client, smiths, demo_project):
    failed = start(demo_project, "e6", "Smith Failed Ltd")
    WorkflowRuntime.objects.filter(pk=failed.pk).update(status=RuntimeStatus.FAILED)
    with CaptureQueriesContext(connection) as queries:
        html = operator_client.get(QUEUE_URL, {"q": "smith", "status": "failed"}).content.decode()
    assert names(html) == ["Smith Failed Ltd"] and case_count(html) == "1 case"
    assert "2 closed cases match" in hint(html) and len(search_counts(queries)) == 1


def searching_queries(queries) -> list[str]:
    """The queries that search (a page's rows read by their ids check the term on those alone)."""
    return [q["sql"] for q in queries if "LIKE" in q["sql"] and '"workflows_workflowruntime"."id" IN (' not in q["sql"]]


@pytest.fixture
def many_smiths(demo_project):
    """30 open Smiths (two pages) and 3 closed ones, named so that the name order is known."""
    for n in range(30):
        start(demo_project, f"s{n:02}", f"Smith {n:02} Ltd")
    for n in range(3):
        close(demo_project, start(demo_project, f"c{n}", f"Smith Closed {n} Ltd"))


@pytest.mark.parametrize(
    "query, expected",
    [
        ({"q": "smith", "sort": "name", "page": "2"}, [f"Smith {n:02} Ltd" for n in range(25, 30)]),
        ({"q": "smith", "sort": "-name"}, [f"Smith {n:02} Ltd" for n in range(29, 4, -1)]),
        (
            {"q": "smith", "sort": "name", "status": "any", "page": "2"},
            [*(f"Smith {n:02} Ltd" for n in range(25, 30)), *(f"Smith Closed {n} Ltd" for n in range(3))],
        ),
        ({"q": "smith", "sort": "-created", "page": "2"}, [f"Smith {n:02} Ltd" for n in range(4, -1, -1)]),
        # Past the last page: the last page is shown.
        ({"q": "smith", "sort": "name", "page": "9"}, [f"Smith {n:02} Ltd" for n in range(25, 30)]),
    ],
)
def test_a_search_page_shows_its_rows_in_the_order_asked_for(operator_client, many_smiths, query, expected):
    html = operator_client.get(QUEUE_URL, query).content.decode()
    assert names(html) == expected


def test_a_search_page_finds_its_rows_with_the_counting_query_on_postgresql(operator_client, many_smiths):
    operator_client.get(QUEUE_URL, {"q": "smith"})
    with CaptureQueriesContext(connection) as queries:
        html = operator_client.get(QUEUE_URL, {"q": "smith", "page": "2"}).content.decode()
    assert case_count(html) == "30 cases" and "3 closed cases match" in hint(html)
    assert len(names(html)) == 5
    # PostgreSQL aggregates the page's ids in the count (one trigram search); SQLite counts,
    # then reads the rows with a second search.
    assert len(searching_queries(queries)) == (1 if connection.vendor == "postgresql" else 2)


def test_a_search_with_a_due_filter_counts_open_cases_due_and_every_closed_match(operator_client, smiths, demo_project):
    late = start(demo_project, "e5", "Smith Late Ltd")
    due_in(late, timedelta(hours=-2))
    html = operator_client.get(QUEUE_URL, {"q": "smith", "due": "overdue"}).content.decode()
    assert names(html) == ["Smith Late Ltd"] and case_count(html) == "1 case"
    assert "2 closed cases match" in hint(html)
