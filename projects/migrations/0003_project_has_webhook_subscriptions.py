from django.db import migrations, models
from django.db.models import Exists, OuterRef


def set_flags(apps, schema_editor):
    Project = apps.get_model("projects", "Project")
    WebhookSubscription = apps.get_model("webhooks", "WebhookSubscription")
    active = WebhookSubscription.objects.filter(project_id=OuterRef("pk"), is_active=True)
    Project.objects.update(has_webhook_subscriptions=Exists(active))


class Migration(migrations.Migration):
    dependencies = [
        ("projects", "0002_project_webhook_secret"),
        ("webhooks", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="project",
            name="has_webhook_subscriptions",
            field=models.BooleanField(default=False, editable=False),
        ),
        migrations.RunPython(set_flags, migrations.RunPython.noop),
    ]
