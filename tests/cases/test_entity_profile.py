"""The readable entity on the case page (issue 16, item 1) and the entity profile (item 11):
labelled fields, the UBO table linked to child cases, one context tree, the profile's cases
across workflows, project scoping and query counts."""

import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from automation.models import EntityLink, EntityRole
from projects.models import Role
from workflows.actors import Actor
from workflows.models import Entity, WorkflowRuntime
from workflows.services import workflow_start

from ..factories import MembershipFactory, ProjectFactory, UserFactory, business_context, individual_context
from ..factories import demo_case_start as start

UBOS = [
    {"id": "ubo-helen", "firstName": "Helen", "lastName": "Park", "email": "helen@example.com", "ownership": 55},
    {"id": "ubo-omar", "firstName": "Omar", "lastName": "Haddad", "email": "omar@example.com", "ownership": 45},
]


def ubo_parent(project, entity_id="biz-ubo", ubos=UBOS):
    context = {
        "entity": {"type": "business", "id": entity_id, "data": {"companyName": "Meridian Shipping Ltd", "registrationNumber": "08123456",
                                                                  "website": "https://meridian.example", "additionalInfo": {"ubos": ubos}}},
        "documents": [],
    }
    return workflow_start(project=project, workflow_id="kyb_ubo_demo", context=context, actor=Actor()).runtime


def child_case(project, parent, person):
    context = {"entity": {"type": "individual", "id": person["id"], "data": {k: v for k, v in person.items() if k != "id"}}, "documents": []}
    return workflow_start(project=project, workflow_id="kyc_ubo_demo", context=context, actor=Actor(), parent=parent).runtime


def html_of(client, url):
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def person_rows(html):
    return re.findall(r'<tr class="entity-person" data-entity-id="([^"]+)">(.*?)</tr>', html, re.S)


# ----- the case page


def test_the_case_page_shows_the_business_as_labelled_fields_from_the_input_schema(operator_client, demo_project):
    runtime = start(demo_project, "biz-1", "ACME Ltd", companyType="LLC", registrationNumber="RN-1",
                    additionalInfo={"mainRepresentative": {"firstName": "Rita", "lastName": "Rep", "email": "rita@example.com"}})
    html = html_of(operator_client, f"/cases/{runtime.pk}/")
    assert re.search(r'<dt[^>]*data-key="companyName">Company Name</dt>\s*<dd[^>]*>ACME Ltd</dd>', html)  # the definition's ui:title
    assert re.search(r'<dt[^>]*data-key="companyType">Company Type</dt>\s*<dd[^>]*>LLC</dd>', html)
    assert re.search(r'<dt[^>]*data-key="registrationNumber">Registration number</dt>\s*<dd[^>]*>RN-1</dd>', html)  # the default label
    assert "Rita Rep" in html and "rita@example.com" in html


def test_the_case_page_shows_the_context_tree_once_at_the_bottom(operator_client, demo_project):
    runtime = start(demo_project, "biz-1", "ACME Ltd", vatNumber="GB-VAT-77")
    html = html_of(operator_client, f"/cases/{runtime.pk}/")
    assert html.count('id="context-title"') == 1
    assert html.index('id="entity-title"') < html.index('id="context-title"')
    # The data no field shows is in the entity's own tree, and again only in the context.
    assert html.count("GB-VAT-77") == 2
    assert html.index("entity-rest") < html.index('id="context-title"')


def test_the_ubo_table_links_each_ubo_to_their_child_case(operator_client, demo_project):
    parent = ubo_parent(demo_project)
    helen = child_case(demo_project, parent, UBOS[0])
    html = html_of(operator_client, f"/cases/{parent.pk}/")
    rows = dict(person_rows(html))
    assert set(rows) == {"ubo-helen", "ubo-omar"}
    assert f'href="/cases/{helen.pk}/"' in rows["ubo-helen"] and "55%" in rows["ubo-helen"]
    assert f'href="/entities/{helen.entity_id}/"' in rows["ubo-helen"]
    assert "/cases/" not in rows["ubo-omar"] and "45%" in rows["ubo-omar"]


def test_the_business_profile_links_each_ubo_to_their_child_case_labelled_by_its_state(operator_client, demo_project):
    parent = ubo_parent(demo_project)
    helen = child_case(demo_project, parent, UBOS[0])
    rows = dict(person_rows(html_of(operator_client, f"/entities/{parent.entity_id}/")))
    assert f'href="/cases/{helen.pk}/"' in rows["ubo-helen"]
    assert f'href="/entities/{helen.entity_id}/">Helen Park</a>' in rows["ubo-helen"]
    link = re.search(r'class="person-case"[^>]*>([^<]+)</a>', rows["ubo-helen"]).group(1)
    assert helen.state == "manual_review" and link == "Manual review"  # the state's readable name
    assert "/cases/" not in rows["ubo-omar"]


def test_the_profile_query_count_does_not_grow_with_the_ubos_child_cases(operator_client, demo_project):
    few = ubo_parent(demo_project, "biz-few", UBOS[:1])
    child_case(demo_project, few, UBOS[0])
    people = [{"id": f"ubo-{n}", "firstName": f"P{n}", "lastName": "Q", "ownership": 5} for n in range(8)]
    many = ubo_parent(demo_project, "biz-many", people)
    for person in people:
        child_case(demo_project, many, person)
    html_of(operator_client, f"/entities/{few.entity_id}/")
    with CaptureQueriesContext(connection) as small:
        html_of(operator_client, f"/entities/{few.entity_id}/")
    with CaptureQueriesContext(connection) as large:
        html = html_of(operator_client, f"/entities/{many.entity_id}/")
    assert html.count('class="person-case"') == 8
    assert len(large) == len(small)


def test_a_ubo_without_a_child_case_links_to_their_entity_record(operator_client, demo_project):
    parent = ubo_parent(demo_project)
    omar = Entity.objects.create(project=demo_project, kind="individual", correlation_id="ubo-omar", data={"firstName": "Omar"})
    EntityLink.objects.create(project=demo_project, business=parent.entity, person=omar, role=EntityRole.UBO, ownership=45)
    rows = dict(person_rows(html_of(operator_client, f"/cases/{parent.pk}/")))
    assert f'href="/entities/{omar.pk}/"' in rows["ubo-omar"]


def test_the_case_page_query_count_does_not_grow_with_the_ubos(operator_client, demo_project):
    few = ubo_parent(demo_project, "biz-few", UBOS)
    for person in UBOS:
        child_case(demo_project, few, person)
    many_ubos = [{"id": f"ubo-{n}", "firstName": f"P{n}", "lastName": "X", "ownership": 1} for n in range(12)]
    many = ubo_parent(demo_project, "biz-many", many_ubos)
    for person in many_ubos:
        child_case(demo_project, many, person)
    html_of(operator_client, f"/cases/{few.pk}/")  # warm the session and the definitions
    with CaptureQueriesContext(connection) as small:
        html_of(operator_client, f"/cases/{few.pk}/")
    with CaptureQueriesContext(connection) as large:
        html = html_of(operator_client, f"/cases/{many.pk}/")
    assert len(person_rows(html)) == 12
    assert len(large) == len(small)


def test_an_individual_case_shows_the_person(operator_client, demo_project):
    context = individual_context("p-1", "Ada", "Lovelace", email="ada@example.com", dateOfBirth="1815-12-10", nationality="GB")
    runtime = workflow_start(project=demo_project, workflow_id="individual_kyc_demo", context=context, actor=Actor()).runtime
    html = html_of(operator_client, f"/cases/{runtime.pk}/")
    assert re.search(r'data-key="firstName">First Name</dt>\s*<dd[^>]*>Ada</dd>', html)
    assert re.search(r'data-key="dateOfBirth">Date of Birth</dt>\s*<dd[^>]*>1815-12-10</dd>', html)
    assert re.search(r'data-key="nationality">Nationality</dt>\s*<dd[^>]*>GB</dd>', html)


def test_hostile_entity_values_are_escaped_and_a_javascript_website_is_no_link(operator_client, demo_project):
    runtime = start(demo_project, "biz-x", "<img src=x onerror=alert(1)>", website="javascript:alert(document.cookie)",
                    address={"street": "<b>bold</b>"})
    html = html_of(operator_client, f"/cases/{runtime.pk}/")
    assert "<img src=x" not in html and "<b>bold</b>" not in html
    assert 'href="javascript:' not in html
    assert "javascript:alert(document.cookie)" in html  # shown, as text


def test_the_case_page_links_to_the_entity_profile_from_the_header(operator_client, demo_project):
    runtime = start(demo_project, "biz-1", "ACME Ltd")
    html = html_of(operator_client, f"/cases/{runtime.pk}/")
    assert re.search(rf'<h1[^>]*><a [^>]*href="/entities/{runtime.entity_id}/"[^>]*>ACME Ltd</a></h1>', html)
    assert f'<a href="/entities/{runtime.entity_id}/">All cases of this entity</a>' in html


# ----- the entity profile


@pytest.fixture
def viewer_client(demo_project):
    user = MembershipFactory(project=demo_project, user=UserFactory(username="view"), role=Role.VIEWER).user
    client = Client()
    client.force_login(user)
    return client


def test_the_profile_lists_every_case_of_the_entity_across_workflows_newest_first(viewer_client, demo_project):
    first = start(demo_project, "biz-1", "ACME Ltd", registrationNumber="RN-1")
    WorkflowRuntime.objects.filter(pk=first.pk).update(status="completed", state="approved")
    second = workflow_start(project=demo_project, workflow_id="kyb_automated_checks_demo", context=business_context("biz-1", "ACME Ltd", registrationNumber="RN-1"), actor=Actor()).runtime
    start(demo_project, "someone-else", "Other Ltd")
    html = html_of(viewer_client, f"/entities/{first.entity_id}/")
    links = re.findall(r'href="/cases/([0-9a-f-]{36})/"', html)
    assert links == [str(second.pk), str(first.pk)]
    assert "Till Businesses Onboarding Basic Demo" in html and "Business onboarding with automated checks" in html
    assert 'data-key="registrationNumber"' in html and "RN-1" in html


def test_the_profile_names_each_cases_state_as_its_workflow_labels_it(viewer_client, demo_project):
    plain = start(demo_project, "biz-1", "ACME Ltd", registrationNumber="RN-1")
    WorkflowRuntime.objects.filter(pk=plain.pk).update(status="completed", state="manual_review")
    labelled = workflow_start(project=demo_project, workflow_id="kyb_automated_checks_demo", context=business_context("biz-1", "ACME Ltd", registrationNumber="RN-1"), actor=Actor()).runtime
    WorkflowRuntime.objects.filter(pk=labelled.pk).update(state="registry_check")
    html = html_of(viewer_client, f"/entities/{plain.entity_id}/")
    cells = [cell.split("<small")[0].strip() for cell in re.findall(r'<td class="state text-break">(.*?)</td>', html, re.S)]
    # Newest first: the state's meta.label; without one, the readable name (the raw one beside it).
    assert cells == ["Checking the company registry", "Manual review"]
    assert ">registry_check</small>" in html and ">manual_review</small>" in html


def test_another_projects_entity_is_not_found(operator_client, demo_project):
    other = ProjectFactory(slug="elsewhere")
    entity = Entity.objects.create(project=other, kind="business", correlation_id="secret", data={"companyName": "Hidden Co"})
    response = operator_client.get(f"/entities/{entity.pk}/")
    assert response.status_code == 404
    assert b"Hidden Co" not in response.content


def test_an_unknown_entity_is_not_found(operator_client):
    assert operator_client.get("/entities/00000000-0000-0000-0000-000000000000/").status_code == 404


def test_the_profile_needs_a_login(demo_project):
    entity = start(demo_project).entity
    response = Client().get(f"/entities/{entity.pk}/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_the_profile_is_paginated(operator_client, demo_project):
    runtime = start(demo_project, "biz-1")
    for n in range(27):
        WorkflowRuntime.objects.filter(pk=runtime.pk).update(status="completed")
        runtime = start(demo_project, "biz-1")
    page_one = html_of(operator_client, f"/entities/{runtime.entity_id}/")
    page_two = html_of(operator_client, f"/entities/{runtime.entity_id}/?page=2")
    assert len(re.findall(r'class="entity-case"', page_one)) == 25
    assert len(re.findall(r'class="entity-case"', page_two)) == 3
    assert "Page 2 of 2" in page_two


def test_the_profile_query_count_does_not_grow_with_the_cases(operator_client, demo_project):
    few = start(demo_project, "biz-few").entity
    many = start(demo_project, "biz-many")
    for n in range(12):
        WorkflowRuntime.objects.filter(pk=many.pk).update(status="completed")
        many = start(demo_project, "biz-many")
    html_of(operator_client, f"/entities/{few.pk}/")
    with CaptureQueriesContext(connection) as small:
        html_of(operator_client, f"/entities/{few.pk}/")
    with CaptureQueriesContext(connection) as large:
        html = html_of(operator_client, f"/entities/{many.entity_id}/")
    assert len(re.findall(r'class="entity-case"', html)) == 13
    assert len(large) == len(small)


def test_the_profile_of_a_business_links_its_people_to_their_profiles(operator_client, demo_project):
    parent = ubo_parent(demo_project)
    helen = Entity.objects.create(project=demo_project, kind="individual", correlation_id="ubo-helen", data={"firstName": "Helen"})
    EntityLink.objects.create(project=demo_project, business=parent.entity, person=helen, role=EntityRole.UBO, ownership=55)
    rows = dict(person_rows(html_of(operator_client, f"/entities/{parent.entity_id}/")))
    assert f'href="/entities/{helen.pk}/"' in rows["ubo-helen"]


def test_the_profile_escapes_the_entitys_data(operator_client, demo_project):
    runtime = start(demo_project, "biz-h", "<script>alert(1)</script>")
    html = html_of(operator_client, f"/entities/{runtime.entity_id}/")
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_the_profile_refuses_a_post(operator_client, demo_project):
    entity = start(demo_project).entity
    assert operator_client.post(f"/entities/{entity.pk}/").status_code == 405
