"""Queueing page fetches in the transaction of the change that brought the pages (imports
only models: the case services call it from inside their transactions)."""

from django.utils import timezone

from .models import FileFetch
from .tasks import fetch_file


def _remote_pages(runtime):
    documents = runtime.context.get("documents") if isinstance(runtime.context, dict) else None
    for document in documents if isinstance(documents, list) else []:
        if not isinstance(document, dict) or not document.get("id"):
            continue
        for index, page in enumerate(document.get("pages") if isinstance(document.get("pages"), list) else []):
            uri = page.get("uri") if isinstance(page, dict) else None
            if isinstance(uri, str) and uri.lower().startswith(("http://", "https://")) and not page.get("ballerineFileId"):
                yield str(document["id"]), index, uri


def file_fetches_queue(runtime) -> list[FileFetch]:
    """Queues a fetch for each remote page of the case not queued yet. Call inside the change's
    transaction, after the case is saved; no query when no page has a uri."""
    pages = list(_remote_pages(runtime))
    if not pages:
        return []
    queued = set(FileFetch.objects.filter(runtime=runtime).values_list("document_id", "page_index", "uri"))
    now = timezone.now()
    fetches = [
        FileFetch(project_id=runtime.project_id, runtime=runtime, document_id=document_id, page_index=index, uri=uri[:2000], next_attempt_at=now)
        for document_id, index, uri in pages
        if (document_id, index, uri[:2000]) not in queued
    ]
    FileFetch.objects.bulk_create(fetches)
    for fetch in fetches:
        fetch_file.enqueue(str(fetch.pk))
    return fetches
