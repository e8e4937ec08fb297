import os
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.db import connections

from projects.models import Role
from projects.services import membership_set
from tests.factories import ProjectFactory
from workflows.definition_files import definition_file_load, demo_definition_paths

# Playwright's sync API keeps an event loop in this thread; the ORM calls made by the tests
# themselves are still synchronous and safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"


@pytest.fixture(scope="session")
def playwright(django_db_setup, playwright):
    """pytest-playwright's, closing the database connections opened while it ran before it stops.

    While Playwright's sync API is started, its event loop counts as running in this thread, and
    Django (asgiref's Local) then gives the thread a second set of database connections: the
    browser tests and any later test in the same worker use a second connection, which
    pytest-django never closed, so PostgreSQL refused to drop the test database. Asking for
    `django_db_setup` first makes Playwright (and the browser, with its keep-alive requests to
    the live server) stop before the test database is dropped."""
    yield playwright
    connections.close_all()


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    if not Path(CHROMIUM).exists():
        pytest.fail(
            f"Browser tests need Debian's Chromium at {CHROMIUM} (apt-get install chromium); "
            "`make test` installs it when run as root.",
            pytrace=False,
        )
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ],
    }


@pytest.fixture
def screenshots():
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


@pytest.fixture
def demo(transactional_db):
    project = ProjectFactory(slug="default", name="Default")
    for path in demo_definition_paths():
        definition_file_load(project=project, path=path)
    User = get_user_model()
    operator = User.objects.create_user("operator", password="operator")
    membership_set(project=project, user=operator, role=Role.OPERATOR)
    viewer = User.objects.create_user("viewer", password="viewer")
    membership_set(project=project, user=viewer, role=Role.VIEWER)
    return project


@pytest.fixture
def login(page, live_server):
    def login_as(username, password):
        page.goto(f"{live_server.url}/")
        page.get_by_label("Username", exact=True).fill(username)
        page.get_by_label("Password", exact=True).fill(password)
        page.get_by_role("button", name="Log in").click()
        return page

    return login_as
