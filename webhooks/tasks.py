from django_tasks import task


@task()
def deliver_webhook(delivery_id: str) -> str:
    """Runs in a task worker (`manage.py db_worker`): one attempt at one delivery."""
    from .services import webhook_delivery_attempt

    return webhook_delivery_attempt(delivery_id=delivery_id)
