"""Migrations 0015 (due times from slaHours) and 0017 (registration numbers) fill existing cases."""

from datetime import timedelta

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from workflows.models import WorkflowRuntime

BEFORE = [("workflows", "0014_child_cases")]


@pytest.mark.django_db(transaction=True)
def test_the_migrations_fill_due_times_from_each_cases_version_and_registration_numbers_from_its_context():
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    try:
        apps = executor.loader.project_state(BEFORE).apps
        Project = apps.get_model("projects", "Project")
        Definition = apps.get_model("workflows", "WorkflowDefinition")
        Version = apps.get_model("workflows", "WorkflowDefinitionVersion")
        Entity = apps.get_model("workflows", "Entity")
        Runtime = apps.get_model("workflows", "WorkflowRuntime")
        project = Project.objects.create(slug="old", name="Old", webhook_secret="0" * 64)
        definition = Definition.objects.create(project=project, key="kyb", name="KYB")
        timed = Version.objects.create(definition=definition, version=1, statechart={}, config={"slaHours": 36})
        untimed = Version.objects.create(definition=definition, version=2, statechart={}, config={"slaHours": "36"})
        entity = Entity.objects.create(project=project, kind="business", correlation_id="b1")
        created = timezone.now() - timedelta(days=3)

        def runtime(version, data):
            made = Runtime.objects.create(
                project=project, definition=definition, definition_version=version, entity=entity, state="review",
                context={"entity": {"type": "business", "id": "b1", "data": data}},
            )
            Runtime.objects.filter(pk=made.pk).update(created_at=created)
            return made.pk

        with_sla = runtime(timed, {"registrationNumber": " 756OPOPOP08238 "})
        without_sla = runtime(untimed, {"registrationNumber": 12345})
        no_number = runtime(timed, {})
        executor = MigrationExecutor(connection)
        executor.migrate([("workflows", "0017_runtime_registration_number_due_indexes")])
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())
    cases = {r.pk: r for r in WorkflowRuntime.objects.filter(pk__in=[with_sla, without_sla, no_number])}
    assert cases[with_sla].due_at == created + timedelta(hours=36)
    assert cases[no_number].due_at == created + timedelta(hours=36)
    assert cases[without_sla].due_at is None  # "36" is not a number of hours
    assert cases[with_sla].entity_registration_number == "756OPOPOP08238"
    assert cases[without_sla].entity_registration_number == ""  # not a string
    assert cases[no_number].entity_registration_number == ""
