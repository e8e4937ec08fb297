"""`Idempotency-Key` for runs: the same key with the same body replays the first response,
even when the two requests race; the same key with another body is refused."""

import hashlib
import json
import secrets
from dataclasses import dataclass

from django.utils import timezone

from projects.models import Project

from .errors import ServiceError
from .models import IdempotencyRecord

MAX_KEY_LENGTH = 255


def request_fingerprint(body) -> str:
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


@dataclass
class Claim:
    record: IdempotencyRecord
    replay: bool

    @property
    def response(self) -> tuple[int, dict]:
        return self.record.response_status, self.record.response_body


def idempotency_claim(*, project: Project, key: str, body) -> Claim:
    """Must run inside the transaction that does the work. A concurrent request with the same
    key waits on the unique index until this one commits, then replays its response; if this
    one rolls back, the other one does the work."""
    if not key or len(key) > MAX_KEY_LENGTH:
        raise ServiceError(f"Idempotency-Key must be 1 to {MAX_KEY_LENGTH} characters.", status_code=400)
    if "," in key:
        # Two Idempotency-Key headers reach us joined by a comma: which one was meant is unknown.
        raise ServiceError("Idempotency-Key must be sent once and cannot contain a comma.", status_code=400)
    fingerprint = request_fingerprint(body)
    claim = secrets.token_hex(16)
    IdempotencyRecord.objects.bulk_create(
        [IdempotencyRecord(project=project, key=key, request_fingerprint=fingerprint, claim=claim, created_at=timezone.now())],
        ignore_conflicts=True,
    )
    record = IdempotencyRecord.objects.select_for_update().get(project=project, key=key)
    if record.request_fingerprint != fingerprint:
        raise ServiceError(
            "This Idempotency-Key was already used with a different request body.", status_code=422
        )
    return Claim(record=record, replay=record.claim != claim)


def idempotency_complete(*, claim: Claim, status: int, body: dict) -> None:
    IdempotencyRecord.objects.filter(pk=claim.record.pk).update(response_status=status, response_body=body)


def idempotency_records_prune(*, older_than) -> int:
    """Forgets the Idempotency-Keys first used before `now - older_than`: a repeat after that
    is a new request. Returns how many were removed."""
    deleted, _ = IdempotencyRecord.objects.filter(created_at__lt=timezone.now() - older_than).delete()
    return deleted
