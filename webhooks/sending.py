"""One HTTP POST of a delivery's stored body, signed with the project's secret."""

import hashlib
import hmac
import http.client
import socket
from urllib.parse import urlsplit

from .targets import resolve_target

USER_AGENT = "casework-webhooks/1"
RESPONSE_READ_LIMIT = 64 * 1024


def signature(body: bytes, secret: str) -> str:
    """`X-HMAC-Signature`: hex HMAC-SHA256 of the exact body bytes."""
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """Connects to the address that was checked, not to whatever the name resolves to next."""

    def __init__(self, host, port, address, timeout):
        super().__init__(host, port, timeout=timeout)
        self._address = address

    def connect(self):
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, host, port, address, timeout):
        super().__init__(host, port, timeout=timeout)
        self._address = address

    def connect(self):
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


def post(*, url: str, body: bytes, secret: str, headers: dict, timeout: float) -> int:
    """Sends the body; returns the response status. Redirects are not followed (a redirect
    could lead anywhere, including to private addresses). Raises OSError, HTTPException or
    TargetRefused."""
    scheme, host, port, address = resolve_target(url)
    connection_class = _PinnedHTTPSConnection if scheme == "https" else _PinnedHTTPConnection
    connection = connection_class(host, port, address, timeout)
    parts = urlsplit(url)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    try:
        connection.request(
            "POST",
            target,
            body=body,
            headers={
                "Content-Type": "application/json",
                "User-Agent": USER_AGENT,
                "X-HMAC-Signature": signature(body, secret),
                **headers,
            },
        )
        response = connection.getresponse()
        response.read(RESPONSE_READ_LIMIT)
        return response.status
    finally:
        connection.close()
