import secrets

from django.db import migrations, models

import projects.models


def give_each_project_its_own_secret(apps, schema_editor):
    # AddField fills existing rows with one computed default: every project would share it.
    Project = apps.get_model("projects", "Project")
    for project in Project.objects.all():
        project.webhook_secret = secrets.token_hex(32)
        project.save(update_fields=["webhook_secret"])


class Migration(migrations.Migration):
    dependencies = [
        ("projects", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="project",
            name="webhook_secret",
            field=models.CharField(default=projects.models.new_webhook_secret, max_length=128),
        ),
        migrations.RunPython(give_each_project_its_own_secret, migrations.RunPython.noop),
    ]
