"""One HTTP POST of a delivery's stored body, signed with the project's secret, through the
shared outbound client (`outbound.request`: SSRF checks with the project's allow-list, the
checked addresses pinned, proxies from the environment ignored, a whole-exchange deadline)."""

import hashlib
import hmac

import outbound

USER_AGENT = "casework-webhooks/1"
RESPONSE_READ_LIMIT = 64 * 1024


def signature(body: bytes, secret: str) -> str:
    """`X-HMAC-Signature`: hex HMAC-SHA256 of the exact body bytes."""
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def post(*, url: str, body: bytes, secret: str, headers: dict, timeout: float, project=None) -> int:
    """Sends the body; returns the response status. The whole exchange must finish within
    `timeout` seconds. Redirects are not followed (a redirect could lead anywhere, including
    to private addresses). Raises outbound.TargetRefused, outbound.OutboundTimeout (a
    TimeoutError) or outbound.OutboundError (an OSError)."""
    response = outbound.request(
        "POST",
        url,
        project=project,
        headers={
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            "X-HMAC-Signature": signature(body, secret),
            **headers,
        },
        content=body,
        timeout=timeout,
        follow_redirects=False,
        max_response_bytes=RESPONSE_READ_LIMIT,
    )
    return response.status_code
