"""outbound.request against real servers on loopback: redirects checked hop by hop, proxy
settings from the environment ignored, the checked address pinned, the answer capped, the
whole exchange cut off at the timeout."""

import socket
import time

import pytest

import outbound
from outbound import OutboundError, OutboundTimeout, TargetRefused
from tests.servers import TricklingServer


def test_a_plain_request_returns_status_headers_and_body(server, private_on):
    server.routes["/x"] = (201, {"X-Answer": "yes"}, b'{"ok": true}')
    response = outbound.request("POST", server.url("/x"), headers={"X-Api-Key": "k"}, content=b"{}", timeout=5)
    assert (response.status_code, response.headers["x-answer"], response.content) == (201, "yes", b'{"ok": true}')
    sent = server.requests[0]
    assert (sent["method"], sent["body"], sent["headers"]["X-Api-Key"]) == ("POST", b"{}", "k")
    assert sent["headers"]["Accept-Encoding"] == "identity"  # nothing compressed past the read limit


def test_redirects_are_not_followed_unless_asked(server, private_on):
    server.routes["/a"] = (302, {"Location": "/b"}, b"")
    response = outbound.request("GET", server.url("/a"), timeout=5)
    assert response.status_code == 302
    assert [r["path"] for r in server.requests] == ["/a"]


def test_redirects_followed_within_allowed_targets(server, private_on):
    server.routes["/a"] = (302, {"Location": "/b"}, b"")
    server.routes["/b"] = (200, {}, b"there")
    response = outbound.request("GET", server.url("/a"), timeout=5, follow_redirects=True)
    assert (response.status_code, response.content) == (200, b"there")
    assert response.redirects == [server.url("/a")]
    assert response.url == server.url("/b")


@pytest.mark.parametrize(
    "location",
    ["http://127.0.0.2:{port}/inside", "http://169.254.169.254/latest/meta-data/", "http://[::1]:{port}/", "http://0x7f.2:{port}/"],
)
def test_a_redirect_to_a_private_address_is_refused_at_that_hop(server, project, private_off, location):
    project.allowed_targets.create(target="127.0.0.1")  # opens the first hop only
    server.routes["/a"] = (302, {"Location": location.format(port=server.port)}, b"")
    with pytest.raises(TargetRefused):
        outbound.request("GET", server.url("/a"), project=project, timeout=5, follow_redirects=True)
    assert [r["path"] for r in server.requests] == ["/a"]


def test_a_redirect_to_a_name_that_resolves_to_a_private_address_is_refused(server, project, private_off, monkeypatch):
    project.allowed_targets.create(target="127.0.0.1")
    real = socket.getaddrinfo

    def resolve(host, *args, **kwargs):
        if host == "metadata.example":
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.0.0.7", 80))]
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    server.routes["/a"] = (307, {"Location": "http://metadata.example/secrets"}, b"")
    with pytest.raises(TargetRefused, match="non-public address"):
        outbound.request("GET", server.url("/a"), project=project, timeout=5, follow_redirects=True)


def test_too_many_redirects_stop(server, private_on):
    server.routes["/loop"] = (302, {"Location": "/loop"}, b"")
    with pytest.raises(OutboundError, match="TooManyRedirects"):
        outbound.request("GET", server.url("/loop"), timeout=5, follow_redirects=True, max_redirects=3)
    assert len(server.requests) == 4


def test_a_cross_origin_redirect_does_not_carry_the_callers_headers(server, second_server, private_on):
    server.routes["/a"] = (307, {"Location": second_server.url("/b")}, b"")
    outbound.request("POST", server.url("/a"), headers={"X-Api-Key": "vendor-key"}, content=b"{}", timeout=5, follow_redirects=True)
    assert server.requests[0]["headers"]["X-Api-Key"] == "vendor-key"
    assert "X-Api-Key" not in second_server.requests[0]["headers"]
    assert second_server.requests[0]["body"] == b"{}"  # 307 keeps the method and body


@pytest.mark.parametrize("name", ["HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"])
def test_proxy_settings_from_the_environment_are_ignored(server, private_on, monkeypatch, name):
    with socket.socket() as dead:
        dead.bind(("127.0.0.1", 0))
        dead_proxy = f"http://127.0.0.1:{dead.getsockname()[1]}"
    for variable in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY", "http_proxy", "https_proxy", "all_proxy", "no_proxy"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv(name, dead_proxy)
    response = outbound.request("GET", server.url("/direct"), timeout=5)
    assert response.status_code == 200
    assert server.requests[0]["path"] == "/direct"  # straight to the server, not as a proxy request


def test_a_name_is_resolved_once_and_connected_by_its_checked_address(server, private_on, monkeypatch):
    """DNS rebinding: the name answers a checked address, then another one; the connection
    goes to the first, with the name (and port) as the Host."""
    real = socket.getaddrinfo
    lookups = []

    def resolve(host, *args, **kwargs):
        if host == "receiver.example":
            lookups.append(host)
            address = "127.0.0.1" if len(lookups) == 1 else "10.0.0.7"
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, server.port))]
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    response = outbound.request("GET", server.url("/pinned", host="receiver.example"), timeout=5)
    assert response.status_code == 200
    assert lookups == ["receiver.example"]
    assert server.requests[0]["headers"]["Host"] == f"receiver.example:{server.port}"


def test_the_connection_goes_only_to_checked_addresses(server, private_off, monkeypatch):
    """With private targets refused, a name resolving to loopback is refused before any
    connection, even though the server there is listening."""
    real = socket.getaddrinfo
    monkeypatch.setattr(
        socket,
        "getaddrinfo",
        lambda host, *a, **k: [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", server.port))]
        if host == "receiver.example"
        else real(host, *a, **k),
    )
    with pytest.raises(TargetRefused, match="non-public address"):
        outbound.request("GET", server.url("/", host="receiver.example"), timeout=5)
    assert server.requests == []


def test_the_answer_is_read_up_to_the_limit(server, private_on):
    server.routes["/big"] = (200, {}, b"x" * 1_000_000)
    response = outbound.request("GET", server.url("/big"), timeout=5, max_response_bytes=1000)
    assert (len(response.content), response.truncated) == (1000, True)
    small = outbound.request("GET", server.url("/"), timeout=5, max_response_bytes=1000)
    assert (small.content, small.truncated) == (b"ok", False)


def test_a_trickled_answer_is_cut_off_at_the_timeout(private_on):
    server = TricklingServer(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n" + b"a" * 100, pause=0.1)
    started = time.monotonic()
    with pytest.raises(OutboundTimeout, match="no complete answer within 0.7 s"):
        outbound.request("GET", f"http://127.0.0.1:{server.port}/", timeout=0.7)
    assert time.monotonic() - started < 1.5
    server.close()


def test_a_refused_connection_names_its_cause(private_on):
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{closed.getsockname()[1]}/"
    with pytest.raises(OutboundError, match="ConnectionRefusedError"):
        outbound.request("GET", url, timeout=5)


def test_a_url_that_cannot_be_sent_is_refused_before_anything(private_on):
    with pytest.raises(TargetRefused, match="ASCII"):
        outbound.request("GET", "http://hooks.example.com/h\u00e9", timeout=5)
