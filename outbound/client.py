"""The one outbound HTTP client (webhooks now, plugins and file fetches later), on httpx.

- Proxy settings and .netrc from the environment are ignored (`trust_env=False`).
- Every request, and every redirect hop when redirects are followed, is checked against the
  SSRF rules (`targets.resolve_target`, with the project's allow-list) inside the transport,
  and the connection then goes only to the addresses that were resolved and checked: the
  network backend knows no other way to connect (no second DNS lookup), while TLS still
  verifies the certificate against the host name of the URL.
- The whole exchange (connecting, TLS, sending, the answer's head and body) must finish within
  `timeout` seconds: every socket operation waits at most for what is left, so a receiver
  trickling its answer byte by byte is cut off.
- At most `max_response_bytes` of the body are read.
"""

import functools
import ssl
import time
from dataclasses import dataclass, field

import httpcore
import httpx

from .targets import AllowList, TargetRefused, normal_host, resolve_target, url_problem

USER_AGENT = "casework-outbound/1"
RESPONSE_READ_LIMIT = 64 * 1024
MAX_REDIRECTS = 5
# Sent unless the caller says otherwise; httpx's own defaults (gzip, keep-alive) are not wanted:
# a compressed body could expand far past the read limit, and each request has its own client.
BASE_HEADERS = {"User-Agent": USER_AGENT, "Accept": "*/*", "Accept-Encoding": "identity", "Connection": "close"}


class OutboundError(OSError):
    """The exchange failed (connection refused, TLS, protocol, too many redirects); the
    message names the cause, e.g. `ConnectionRefusedError: [Errno 111] Connection refused`."""


class OutboundTimeout(TimeoutError):
    """No complete answer within the timeout."""


@dataclass
class OutboundResponse:
    status_code: int
    headers: httpx.Headers
    content: bytes
    truncated: bool = False  # the body was longer than max_response_bytes and was cut there
    url: str = ""  # where the answer came from (after redirects, when followed)
    redirects: list[str] = field(default_factory=list)  # the URLs that redirected


class _Deadline:
    def __init__(self, seconds: float):
        self.seconds = seconds
        self.ends = time.monotonic() + seconds

    def limit(self, timeout: float | None, exception) -> float:
        """The timeout for one socket operation: what is left of the whole exchange."""
        remaining = self.ends - time.monotonic()
        if remaining <= 0:
            raise exception(f"no complete answer within {self.seconds:g} s")
        return remaining if timeout is None else min(timeout, remaining)


class _DeadlineStream(httpcore.NetworkStream):
    def __init__(self, inner: httpcore.NetworkStream, deadline: _Deadline):
        self._inner, self._deadline = inner, deadline

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, self._deadline.limit(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, self._deadline.limit(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(self, ssl_context, server_hostname=None, timeout=None):
        timeout = self._deadline.limit(timeout, httpcore.ConnectTimeout)
        return _DeadlineStream(self._inner.start_tls(ssl_context, server_hostname, timeout), self._deadline)

    def get_extra_info(self, info: str):
        return self._inner.get_extra_info(info)


class _PinnedBackend(httpcore.NetworkBackend):
    """Connects only to addresses the transport checked for that host and port."""

    def __init__(self, deadline: _Deadline):
        self.pins: dict[tuple[str, int], list[str]] = {}
        self._deadline = deadline
        self._sockets = httpcore.SyncBackend()

    def connect_tcp(self, host, port, timeout=None, local_address=None, socket_options=None):
        addresses = self.pins.get((normal_host(host), port))
        if not addresses:
            raise httpcore.ConnectError(f"{host}:{port} was not checked as a target")
        error = None
        for address in addresses:  # the first of the checked addresses that answers
            limit = self._deadline.limit(timeout, httpcore.ConnectTimeout)
            try:
                stream = self._sockets.connect_tcp(address, port, limit, local_address, socket_options)
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as failure:
                error = failure
                continue
            return _DeadlineStream(stream, self._deadline)
        raise error

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


@functools.cache
def _ssl_context() -> ssl.SSLContext:
    """The system's certificate authorities, as Python's ssl module (and http.client) use
    them; loaded once (that takes milliseconds) and shared (an SSLContext is thread-safe)."""
    return ssl.create_default_context()


class PinnedTransport(httpx.HTTPTransport):
    """httpx's transport on an httpcore pool whose network backend is `_PinnedBackend`; each
    request is checked (and its addresses pinned) before it is sent."""

    def __init__(self, *, allow_list: AllowList, deadline: _Deadline):
        context = _ssl_context()
        super().__init__(verify=context, trust_env=False, retries=0)
        self._allow_list = allow_list
        self._backend = _PinnedBackend(deadline)
        self._pool.close()
        self._pool = httpcore.ConnectionPool(
            ssl_context=context,
            max_connections=4,
            retries=0,
            network_backend=self._backend,
        )

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        _, host, port, addresses = resolve_target(str(request.url), self._allow_list)
        self._backend.pins[(host, port)] = addresses
        return super().handle_request(request)


def _cause(error: BaseException) -> str:
    """The original failure under httpx's and httpcore's wrappers, as `Type: message`."""
    root, seen = error, set()
    while id(root) not in seen:
        seen.add(id(root))
        inner = root.__cause__ or root.__context__
        if inner is None:
            break
        root = inner
    if root is not error and not isinstance(root, (httpx.HTTPError, httpcore.ConnectError)):
        return f"{type(root).__name__}: {root}"
    return f"{type(error).__name__}: {error}"


def _origin(url: httpx.URL) -> tuple:
    return url.scheme, url.host, url.port


def request(
    method: str,
    url: str,
    *,
    project=None,
    headers: dict | None = None,
    content: bytes | None = None,
    timeout: float,
    follow_redirects: bool = False,
    max_redirects: int = MAX_REDIRECTS,
    max_response_bytes: int = RESPONSE_READ_LIMIT,
) -> OutboundResponse:
    """Sends one request (following redirects only when asked, each hop checked) and reads at
    most `max_response_bytes` of the answer, all within `timeout` seconds. `project`'s
    allow-list opens its private targets. On a cross-origin redirect the caller's `headers`
    are not sent on (they may carry credentials). Raises TargetRefused (not worth retrying),
    OutboundTimeout, or OutboundError (connection, TLS, protocol, cannot resolve)."""
    allow_list = AllowList(project)
    problem = url_problem(url, allow_list)  # the URL as written, before httpx normalises it
    if problem:
        raise TargetRefused(problem)
    deadline = _Deadline(timeout)
    transport = PinnedTransport(allow_list=allow_list, deadline=deadline)
    caller_headers = list(headers or {})
    redirects = []
    try:
        with httpx.Client(
            transport=transport, trust_env=False, timeout=httpx.Timeout(timeout), headers=BASE_HEADERS
        ) as client:
            outgoing = client.build_request(method, url, headers=headers, content=content)
            first_origin = _origin(outgoing.url)
            while True:
                response = client.send(outgoing, stream=True)
                try:
                    if not follow_redirects or response.next_request is None:
                        return _read(response, max_response_bytes, redirects)
                finally:
                    response.close()
                if len(redirects) >= max_redirects:
                    raise OutboundError(f"TooManyRedirects: more than {max_redirects} redirects")
                redirects.append(str(outgoing.url))
                outgoing = response.next_request
                if _origin(outgoing.url) != first_origin:
                    for name in caller_headers:
                        outgoing.headers.pop(name, None)
    except httpx.TimeoutException as error:
        raise OutboundTimeout(f"no complete answer within {timeout:g} s") from error
    except httpx.HTTPError as error:
        raise OutboundError(_cause(error)) from error
    except TargetRefused:
        raise
    except OSError as error:  # e.g. the name cannot be resolved
        if isinstance(error, (OutboundError, OutboundTimeout)):
            raise
        raise OutboundError(f"{type(error).__name__}: {error}") from error


def _read(response: httpx.Response, limit: int, redirects: list[str]) -> OutboundResponse:
    body, truncated = bytearray(), False
    for chunk in response.iter_bytes():
        body += chunk
        if len(body) > limit:
            del body[limit:]
            truncated = True
            break
    return OutboundResponse(
        status_code=response.status_code,
        headers=response.headers,
        content=bytes(body),
        truncated=truncated,
        url=str(response.url),
        redirects=redirects,
    )
