"""Pages given by an http(s) `uri` (SPEC section 11): written as FileFetch rows in the
transaction of the change that brought them, fetched by the task worker through the one
outbound client (SSRF rules, every redirect hop checked, a deadline, a read cap) with no
transaction open, stored with the same content checks as an upload, and put in the page's
place as its `ballerineFileId` in a transaction of their own, the case locked. Until then the
page stays as it was given, and the case page says it is being fetched; a failed fetch is
shown, retried with backoff, and can be retried by hand."""

import logging
import uuid
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

import outbound
from workflows import locking
from workflows.actors import Actor
from workflows.errors import NotFound, ServiceError
from workflows.models import HistoryKind, RuntimeStatus
from workflows.services import context_write, require_can_act
from workflows.validation import context_errors

from .fetch_queue import file_fetches_queue  # noqa: F401 (queued with the change; re-exported)
from .models import FetchStatus, FileFetch
from .services import FileRefused, file_store
from .tasks import fetch_file

logger = logging.getLogger(__name__)

RETRYABLE_STATUS = frozenset({408, 425, 429, 500, 502, 503, 504})
FETCHER = Actor(system_label="document fetch")


def retry_delay(attempt_number: int) -> float:
    return min(settings.DOCUMENT_FETCH_RETRY_BASE_SECONDS * 2 ** (attempt_number - 1), 3600.0)


def _claim(fetch_id) -> FileFetch | str:
    now = timezone.now()
    lease = now + timedelta(seconds=settings.DOCUMENT_FETCH_TIMEOUT_SECONDS * 2 + 60)
    claimed = (
        FileFetch.objects.filter(pk=fetch_id, status=FetchStatus.PENDING)
        .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
        .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now + timedelta(seconds=1)))
        .update(claimed_until=lease)
    )
    if not claimed:
        return "not due, claimed or done"
    return FileFetch.objects.select_related("project").get(pk=fetch_id)


def _download(fetch: FileFetch) -> tuple[bytes | None, str, bool]:
    """(content, error, worth retrying)."""
    try:
        response = outbound.request(
            "GET",
            fetch.uri,
            project=fetch.project,
            headers={"Accept": "application/pdf,image/*"},
            timeout=settings.DOCUMENT_FETCH_TIMEOUT_SECONDS,
            follow_redirects=True,
            max_response_bytes=settings.DOCUMENT_MAX_BYTES + 1,
        )
    except outbound.TargetRefused as refused:
        return None, f"Target refused: {refused}", False
    except outbound.OutboundTimeout as failure:
        return None, f"Timeout: {failure}", True
    except OSError as failure:
        return None, str(failure), True
    if response.status_code != 200:
        return None, f"The server answered {response.status_code}.", response.status_code in RETRYABLE_STATUS
    if len(response.content) > settings.DOCUMENT_MAX_BYTES:
        return None, f"The file is larger than {settings.DOCUMENT_MAX_BYTES} bytes.", False
    return response.content, "", False


def _file_name(uri: str) -> str:
    name = uri.split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1]
    return name or "page"


def file_fetch_attempt(*, fetch_id) -> str:
    """One attempt at a pending fetch (the task `fetch_file`). Returns what happened."""
    fetch = _claim(fetch_id)
    if isinstance(fetch, str):
        return fetch
    content, error, retry = _download(fetch)
    stored = None
    if content is not None:
        try:
            stored = file_store(project=fetch.project, content=content, file_name=_file_name(fetch.uri), created_by_label="document fetch")
        except FileRefused as refused:
            error, retry = refused.reason, False
    return _finish(fetch, stored, error, retry)


@transaction.atomic
def _finish(fetch: FileFetch, stored, error: str, retry: bool) -> str:
    runtime = locking.case_lock_any_project(runtime_id=fetch.runtime_id)
    locked = FileFetch.objects.select_for_update().get(pk=fetch.pk)
    if locked.status != FetchStatus.PENDING or locked.attempt_count != fetch.attempt_count:
        return locked.status
    locked.attempt_count += 1
    locked.claimed_until = None
    if stored is None:
        locked.error = error
        if retry and locked.attempt_count < settings.DOCUMENT_FETCH_MAX_ATTEMPTS:
            locked.next_attempt_at = timezone.now() + timedelta(seconds=retry_delay(locked.attempt_count))
            locked.save()
            fetch_file.using(run_after=locked.next_attempt_at).enqueue(str(locked.pk))
            return "retrying"
        locked.status, locked.finished_at = FetchStatus.FAILED, timezone.now()
        locked.save()
        logger.warning("Fetching %s for case %s failed: %s", locked.uri, locked.runtime_id, error)
        return locked.status
    locked.status, locked.stored_file, locked.error, locked.finished_at = FetchStatus.DONE, stored, "", timezone.now()
    locked.save()
    if runtime is not None and runtime.status == RuntimeStatus.ACTIVE:
        _put_in_place(runtime, locked, stored)
    return locked.status


def _put_in_place(runtime, fetch: FileFetch, stored) -> None:
    """The page becomes the stored file, if it is still the page that was fetched."""
    import copy

    context = copy.deepcopy(runtime.context)
    for document in context.get("documents") or []:
        if isinstance(document, dict) and str(document.get("id")) == fetch.document_id:
            pages = document.get("pages") or []
            if fetch.page_index < len(pages) and isinstance(pages[fetch.page_index], dict) and pages[fetch.page_index].get("uri") == fetch.uri:
                page = pages[fetch.page_index]
                pages[fetch.page_index] = {**{k: v for k, v in page.items() if k != "uri"}, "ballerineFileId": str(stored.pk), "sourceUri": fetch.uri}
                break
    else:
        return  # the page changed meanwhile: the file stays stored, the case as it is
    if context_errors(context, runtime.definition_version.context_schema):
        return
    context_write(
        project=runtime.project,
        runtime=runtime,
        context=context,
        actor=FETCHER,
        kind=HistoryKind.CONTEXT_CHANGED,
        payload={"fetchedPage": {"documentId": fetch.document_id, "page": fetch.page_index, "uri": fetch.uri, "ballerineFileId": str(stored.pk)}},
    )


@transaction.atomic
def file_fetch_retry(*, project, runtime_id, fetch_id, actor: Actor) -> FileFetch:
    """Fetch again by hand (operators and admins): a failed fetch is queued anew."""
    require_can_act(actor, project)
    locking.case_lock(project=project, runtime_id=runtime_id)
    try:
        fetch_id = uuid.UUID(str(fetch_id))
    except ValueError:
        raise NotFound("No such fetch for this case.") from None
    fetch = FileFetch.objects.select_for_update().filter(project=project, runtime_id=runtime_id, pk=fetch_id).first()
    if fetch is None:
        raise NotFound("No such fetch for this case.")
    if fetch.status != FetchStatus.FAILED:
        raise ServiceError(f"This page is {fetch.get_status_display().lower()}: only a failed fetch can be tried again.")
    fetch.status, fetch.attempt_count, fetch.next_attempt_at, fetch.finished_at = FetchStatus.PENDING, 0, timezone.now(), None
    fetch.save()
    fetch_file.enqueue(str(fetch.pk))
    return fetch
