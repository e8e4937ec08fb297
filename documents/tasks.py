from django_tasks import task


@task()
def fetch_file(fetch_id: str) -> str:
    """Runs in a task worker (`manage.py db_worker`): one attempt at fetching one page."""
    from .fetching import file_fetch_attempt

    return file_fetch_attempt(fetch_id=fetch_id)
