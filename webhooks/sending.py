"""One HTTP POST of a delivery's stored body, signed with the project's secret."""

import hashlib
import hmac
import http.client
import socket
import threading
from urllib.parse import urlsplit

from .targets import resolve_target

USER_AGENT = "casework-webhooks/1"
RESPONSE_READ_LIMIT = 64 * 1024


def signature(body: bytes, secret: str) -> str:
    """`X-HMAC-Signature`: hex HMAC-SHA256 of the exact body bytes."""
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


class DeliveryTimeout(TimeoutError):
    pass


def _connect(addresses, port, timeout):
    """A socket to the first of the checked addresses that answers."""
    error = None
    for address in addresses:
        try:
            return socket.create_connection((address, port), timeout)
        except OSError as failure:
            error = failure
    raise error


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """Connects to the addresses that were checked, not to whatever the name resolves to next."""

    def __init__(self, host, port, addresses, timeout):
        super().__init__(host, port, timeout=timeout)
        self._addresses = addresses

    def connect(self):
        self.sock = _connect(self._addresses, self.port, self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, host, port, addresses, timeout):
        super().__init__(host, port, timeout=timeout)
        self._addresses = addresses

    def connect(self):
        sock = _connect(self._addresses, self.port, self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


def post(*, url: str, body: bytes, secret: str, headers: dict, timeout: float) -> int:
    """Sends the body; returns the response status. The whole exchange must finish within
    `timeout` seconds: a receiver trickling its answer byte by byte is cut off rather than
    holding a worker. Redirects are not followed (a redirect could lead anywhere, including
    to private addresses). Raises OSError, HTTPException or TargetRefused."""
    scheme, host, port, addresses = resolve_target(url)
    connection_class = _PinnedHTTPSConnection if scheme == "https" else _PinnedHTTPConnection
    connection = connection_class(host, port, addresses, timeout)
    parts = urlsplit(url)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    expired = threading.Event()

    def cut_off():
        expired.set()
        sock = connection.sock
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)  # wakes a blocked read in the sending thread
            except OSError:
                pass

    deadline = threading.Timer(timeout, cut_off)
    deadline.daemon = True
    deadline.start()
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
        if expired.is_set():
            raise DeliveryTimeout(f"no complete answer within {timeout:g} s")
        return response.status
    except (OSError, http.client.HTTPException) as error:
        if expired.is_set():
            raise DeliveryTimeout(f"no complete answer within {timeout:g} s") from error
        raise
    finally:
        deadline.cancel()
        connection.close()
