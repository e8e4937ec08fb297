import secrets

from django.db import migrations

from projects.secrets import encrypt


def give_each_project_its_own_hook_secret(apps, schema_editor):
    # AddField filled existing rows with one computed default: every project would share it.
    Project = apps.get_model("projects", "Project")
    for project in Project.objects.only("pk"):
        project.hook_secret_ciphertext = encrypt(secrets.token_hex(32))
        project.save(update_fields=["hook_secret_ciphertext"])


class Migration(migrations.Migration):
    dependencies = [
        ("projects", "0005_project_secrets_and_hook_secret"),
    ]

    operations = [
        migrations.RunPython(give_each_project_its_own_hook_secret, migrations.RunPython.noop),
    ]
