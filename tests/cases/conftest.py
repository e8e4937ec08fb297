import pytest
from django.test import Client

from projects.models import Role

from ..factories import MembershipFactory, UserFactory


@pytest.fixture
def operator_client(demo_project):
    """A browser session of an operator of the demo project (`client.user` is the operator)."""
    user = MembershipFactory(project=demo_project, user=UserFactory(username="op"), role=Role.OPERATOR).user
    client = Client()
    client.force_login(user)
    client.user = user
    return client
