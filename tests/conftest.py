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
