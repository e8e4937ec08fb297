import factory
from django.contrib.auth import get_user_model

from projects.models import Membership, Project, Role
from workflows.models import WorkflowDefinition, WorkflowDefinitionVersion

SIMPLE_STATECHART = {
    "id": "simple",
    "initial": "review",
    "states": {
        "review": {
            "tags": ["manual_review"],
            "on": {"approve": "approved", "reject": "rejected", "revision": "revision"},
        },
        "revision": {"tags": ["revision"], "on": {"RESUBMITTED": "review"}},
        "approved": {"type": "final", "tags": ["approved"]},
        "rejected": {"type": "final", "tags": ["rejected"]},
    },
}


def business_context(entity_id="biz-1", company="ACME Ltd", **data):
    return {
        "entity": {
            "type": "business",
            "id": entity_id,
            "data": {"companyName": company, **data},
        },
        "documents": [],
    }


def individual_context(entity_id="person-1", first="Ada", last="Lovelace", **data):
    return {
        "entity": {
            "type": "individual",
            "id": entity_id,
            "data": {"firstName": first, "lastName": last, **data},
        },
        "documents": [],
    }


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ["username"]

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.django.Password("password")


class ProjectFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Project
        django_get_or_create = ["slug"]

    slug = factory.Sequence(lambda n: f"project-{n}")
    name = factory.LazyAttribute(lambda o: o.slug.title())


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    project = factory.SubFactory(ProjectFactory)
    user = factory.SubFactory(UserFactory)
    role = Role.OPERATOR


class DefinitionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = WorkflowDefinition

    project = factory.SubFactory(ProjectFactory)
    key = factory.Sequence(lambda n: f"definition_{n}")
    name = factory.LazyAttribute(lambda o: o.key.replace("_", " ").title())


class DefinitionVersionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = WorkflowDefinitionVersion

    definition = factory.SubFactory(DefinitionFactory)
    version = 1
    statechart = factory.LazyFunction(lambda: dict(SIMPLE_STATECHART))
    context_schema = factory.LazyFunction(dict)
    config = factory.LazyFunction(dict)


def demo_case_start(project, entity_id="e1", company="ACME Ltd", **data):
    """A case of the demo KYB workflow, started by the system (the project has the demo loaded)."""
    from workflows.actors import Actor
    from workflows.services import workflow_start

    return workflow_start(
        project=project, workflow_id="till_basic_kyb_demo", context=business_context(entity_id, company, **data), actor=Actor()
    ).runtime


def stored_file_create(project, content=None, file_name="scan.png", created_by_label="tests"):
    """A file stored as an upload is (checked, written to the storage), a small PNG by default."""
    from documents.services import file_store
    from tests.documents.samples import png

    return file_store(project=project, content=png() if content is None else content, file_name=file_name, created_by_label=created_by_label)
