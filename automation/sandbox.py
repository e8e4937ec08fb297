"""A sandbox vendor the app serves itself, only with DEBUG on, so that the demo's automation
works with no outside service: a company registry that answers at once, and a sanctions
screening that answers IN_PROGRESS and calls the case's hook back a few seconds later, signed
with the project's hook secret, as an asynchronous vendor does.

Its answers are made up from the request (deterministic, so a demo can be repeated): a
registration number ending in 0 is not found; a name containing "Obsidian" or "Sanction" has
a sanctions hit.
"""

import hashlib
import json
import re
from datetime import timedelta

from django.conf import settings
from django.http import Http404, JsonResponse
from django.urls import path
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from django_tasks import task

CALLBACK_DELAY_SECONDS = 3
HOOK_PATH = re.compile(r"/api/v1/external/workflows/(?P<runtime_id>[0-9a-fA-F-]{36})/hook/[^/?]+")


def _body(request) -> dict:
    try:
        value = json.loads(request.body or b"{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _sandbox_only(view):
    def wrapped(request, *args, **kwargs):
        if not settings.DEBUG:
            raise Http404("The sandbox vendor is served with DEBUG on only.")
        return view(request, *args, **kwargs)

    return csrf_exempt(require_POST(wrapped))


@_sandbox_only
def registry(request):
    body = _body(request)
    number = str(body.get("registrationNumber") or "").strip()
    name = str(body.get("companyName") or "").strip()
    if not number or number[-1] == "0":
        return JsonResponse({"found": False, "message": f"No company registered under '{number}'."}, status=404)
    digest = hashlib.sha256(f"{name}|{number}".encode()).hexdigest()
    return JsonResponse(
        {
            "found": True,
            "company": {
                "name": name.upper(),
                "registrationNumber": number,
                "country": body.get("country") or "",
                "status": "active",
                "incorporatedOn": f"20{int(digest[:2], 16) % 20:02d}-{int(digest[2:4], 16) % 12 + 1:02d}-{int(digest[4:6], 16) % 28 + 1:02d}",
                "legalForm": "Private limited company",
            },
            "checkedAt": timezone.now().isoformat(),
            "source": "sandbox registry",
        }
    )


@_sandbox_only
def sanctions(request):
    body = _body(request)
    callback = str(body.get("callbackUrl") or "")
    match = HOOK_PATH.search(callback)
    if not match:
        return JsonResponse({"message": "callbackUrl must be this server's hook URL of the case."}, status=400)
    name = str(body.get("name") or "")
    hit = bool(re.search(r"obsidian|sanction", name, re.IGNORECASE))
    screening_id = hashlib.sha256(callback.encode()).hexdigest()[:16]
    result = {
        "screeningId": screening_id,
        "status": "HIT" if hit else "CLEAR",
        "hits": [{"list": "Sandbox consolidated list", "name": name, "score": 0.93}] if hit else [],
        "screenedAt": None,
    }
    sandbox_callback.using(run_after=timezone.now() + timedelta(seconds=CALLBACK_DELAY_SECONDS)).enqueue(
        callback, match["runtime_id"], result
    )
    return JsonResponse({"status": "IN_PROGRESS", "screeningId": screening_id})


@task()
def sandbox_callback(callback_url: str, runtime_id: str, result: dict) -> str:
    """The vendor calling back: the result, signed with the case's project's hook secret."""
    import outbound
    from projects.models import Project
    from projects.selectors import project_hook_secret
    from webhooks.sending import signature

    project = Project.objects.filter(runtimes__pk=runtime_id).first()
    if project is None:
        return "no such case"
    body = json.dumps({**result, "screenedAt": timezone.now().isoformat()}).encode()
    response = outbound.request(
        "POST",
        callback_url,
        project=project,
        headers={"Content-Type": "application/json", "X-HMAC-Signature": signature(body, project_hook_secret(project))},
        content=body,
        timeout=10,
    )
    return f"callback answered {response.status_code}"


urlpatterns = [
    path("registry", registry, name="sandbox-registry"),
    path("sanctions", sanctions, name="sandbox-sanctions"),
]
