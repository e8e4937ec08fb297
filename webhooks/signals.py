from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from .models import WebhookSubscription
from .services import project_subscription_flag_refresh


@receiver([post_save, post_delete], sender=WebhookSubscription)
def subscriptions_changed(sender, instance, **kwargs):
    project_subscription_flag_refresh(project_id=instance.project_id)
