import os
import time

import pytest

from projects.models import Role
from workflows.actors import Actor
from workflows.definition_files import definition_file_load, demo_definition_paths

from .factories import DefinitionVersionFactory, MembershipFactory, ProjectFactory, UserFactory


@pytest.fixture(scope="session", autouse=True)
def _plain_http():
    """Production defaults redirect to HTTPS; the test client and live servers speak HTTP.
    Session-wide, before any live server builds its middleware (which reads these once)."""
    from django.conf import settings

    settings.SECURE_SSL_REDIRECT = False
    settings.SESSION_COOKIE_SECURE = False
    settings.CSRF_COOKIE_SECURE = False


def pytest_runtest_setup(item):
    """Name each PostgreSQL session after the test that opened it (libpq reads PGAPPNAME when a
    connection opens; subprocesses inherit it), so a connection left open is traceable."""
    os.environ["PGAPPNAME"] = f"pytest {item.nodeid.removeprefix('tests/')}"[:63]


LEFTOVER_SESSION_WAIT_SECONDS = 5


def _other_sessions(connection):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid, application_name, backend_start, state, query FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return cursor.fetchall()


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """pytest-django's, and at the end, before the test database is dropped, no other session
    may still use it: PostgreSQL refuses to drop a database in use, and it is left behind. A
    session still there after a few seconds (a process or thread may take a moment to close
    its connection) fails the run, named after the test that opened it, and is then ended so
    that the database is dropped all the same."""
    yield
    from django.db import DatabaseError, connection

    if connection.vendor != "postgresql":
        return
    with django_db_blocker.unblock():
        deadline = time.monotonic() + LEFTOVER_SESSION_WAIT_SECONDS
        while (others := _other_sessions(connection)) and time.monotonic() < deadline:
            time.sleep(0.1)
        if not others:
            return
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_terminate_backend(pid) FROM unnest(%s::int[]) AS pid", [[row[0] for row in others]])
        except DatabaseError:
            pass  # not allowed to: the database stays behind, and the failure below says why
    sessions = "\n".join(
        f"  pid {pid}, {name or 'no application_name'!r}, since {started}, {state}, last query: {query[:200]!r}"
        for pid, name, started, state, query in others
    )
    pytest.fail(
        f"{len(others)} other session(s) still used the test database {connection.settings_dict['NAME']!r} at the end"
        f" of the tests: a connection left open by a thread, a subprocess or a server.\n{sessions}",
        pytrace=False,
    )


@pytest.fixture
def project(db):
    return ProjectFactory(slug="acme", name="ACME")


@pytest.fixture
def other_project(db):
    return ProjectFactory(slug="other", name="Other")


@pytest.fixture
def operator(project):
    return MembershipFactory(project=project, user=UserFactory(username="olga"), role=Role.OPERATOR).user


@pytest.fixture
def viewer(project):
    return MembershipFactory(project=project, user=UserFactory(username="victor"), role=Role.VIEWER).user


@pytest.fixture
def operator_actor(operator):
    return Actor(user=operator)


@pytest.fixture
def system_actor():
    return Actor()


@pytest.fixture
def definition_version(project):
    """A simple review workflow `review -> approved | rejected | revision` in `project`."""
    return DefinitionVersionFactory(definition__project=project, definition__key="kyb")


@pytest.fixture
def demo_project(db):
    project = ProjectFactory(slug="default", name="Default")
    for path in demo_definition_paths():
        definition_file_load(project=project, path=path)
    return project


@pytest.fixture(scope="session", autouse=True)
def _documents_in_a_temporary_directory(tmp_path_factory):
    """Files stored by any test go to a temporary directory, not to the checkout's media/."""
    from django.conf import settings
    from django.test.utils import override_settings

    documents = settings.STORAGES["documents"]
    if not documents["BACKEND"].endswith("FileSystemStorage"):
        yield
        return
    location = tmp_path_factory.mktemp("media")
    storages = {**settings.STORAGES, "documents": {**documents, "OPTIONS": {**documents.get("OPTIONS", {}), "location": location}}}
    with override_settings(MEDIA_ROOT=location, STORAGES=storages):
        yield
