from django_tasks import task


@task()
def run_plugin(run_id: str) -> str:
    """Runs in a task worker (`manage.py db_worker`): one attempt at one plugin run."""
    from .services import plugin_run_attempt

    return plugin_run_attempt(run_id=run_id)
