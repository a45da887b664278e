"""Downloading sources: only public hosts (checked when saved and at each connection, redirects
included), a size cap, HTTP errors as French reasons. No network: names are resolved by a fake,
and a server on the loopback interface stands for the internet where a test allows it."""

from __future__ import annotations

import http.server
import ipaddress
import threading
import time
from collections.abc import Iterator

import pytest

from clocher.imports.fetch import FetchRefused, check_url, fetch_url, is_public


def resolver(*addresses: str):
    def resolve(host: str, port: int) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
        return [ipaddress.ip_address(a) for a in addresses]
    return resolve


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1", "127.5.5.5", "10.1.2.3", "172.16.0.1", "172.31.255.255", "192.168.1.1", "169.254.169.254",
        "0.0.0.0",  # noqa: S104 - an address judged, not bound
        "100.64.0.1", "224.0.0.1", "::1", "fe80::1", "fc00::1", "::ffff:127.0.0.1", "::",
        # Private IPv4 carried in IPv6: compatible, NAT64, 6to4.
        "::7f00:1", "::a01:203", "64:ff9b::7f00:1", "64:ff9b::a9fe:a9fe", "2002:7f00:1::", "2002:c0a8:101::1",
    ],
)
def test_private_loopback_and_link_local_addresses_are_not_public(address: str) -> None:
    assert not is_public(ipaddress.ip_address(address))


@pytest.mark.parametrize(
    "address", ["93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946", "172.32.0.1", "64:ff9b::5db8:d822"],
)
def test_internet_addresses_are_public(address: str) -> None:
    assert is_public(ipaddress.ip_address(address))


def test_a_public_https_url_is_accepted() -> None:
    url = "https://openagenda.com/agendas/1/events.json "
    assert check_url(url, resolver=resolver("93.184.216.34")) == url.strip()


@pytest.mark.parametrize(
    ("url", "addresses", "reason"),
    [
        ("ftp://example.org/agenda.ics", ["93.184.216.34"], "http:// et https://"),
        ("file:///etc/passwd", [], "http:// et https://"),
        ("javascript:alert(1)", [], "http:// et https://"),
        ("http:///agenda.ics", [], "nom du serveur"),
        ("https://user:secret@example.org/", ["93.184.216.34"], "mot de passe"),
        ("http://intranet.example.org/", ["10.0.0.5"], "réseau privé"),
        # One private address among public ones is enough to refuse: the connection may pick it.
        ("http://mixed.example.org/", ["93.184.216.34", "127.0.0.1"], "réseau privé"),
        ("http://[::1]:8000/", ["::1"], "réseau privé"),
        ("http://example.org:99999/", ["93.184.216.34"], "illisible"),
    ],
)
def test_urls_that_could_reach_inside_are_refused(url: str, addresses: list[str], reason: str) -> None:
    with pytest.raises(FetchRefused, match=reason):
        check_url(url, resolver=resolver(*addresses))


class Handler(http.server.BaseHTTPRequestHandler):
    redirect_to = ""

    def do_GET(self) -> None:  # noqa: N802 - the standard library's name
        if self.path == "/redirect":
            self.send_response(302)
            self.send_header("Location", self.redirect_to)
            self.end_headers()
            return
        if self.path == "/missing":
            self.send_error(404)
            return
        if self.path == "/drip":
            # A hostile source: a byte every 0.2 s, never reaching 64 KiB.
            self.send_response(200)
            self.send_header("Content-Length", "100")
            self.end_headers()
            try:
                for _ in range(15):
                    self.wfile.write(b"x")
                    self.wfile.flush()
                    time.sleep(0.2)
            except OSError:
                pass
            return
        body = b"BEGIN:VCALENDAR\r\n" + b"x" * 2000
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the standard library's name
        pass


@pytest.fixture
def server() -> Iterator[str]:
    # 127.0.0.2 stands for "the internet"; 127.0.0.1 for "inside".
    httpd = http.server.HTTPServer(("127.0.0.2", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.2:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


def only_127_0_0_2(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    return str(address) == "127.0.0.2"


def test_it_downloads_a_document(server: str) -> None:
    assert fetch_url(f"{server}/agenda.ics", is_allowed=only_127_0_0_2).startswith(b"BEGIN:VCALENDAR")


def test_a_server_dripping_bytes_is_cut_at_the_deadline(server: str) -> None:
    began = time.monotonic()
    with pytest.raises(FetchRefused, match="trop de temps"):
        fetch_url(f"{server}/drip", is_allowed=only_127_0_0_2, timeout=1)
    assert time.monotonic() - began < 2


def test_a_document_over_the_cap_is_refused(server: str) -> None:
    with pytest.raises(FetchRefused, match="trop grand"):
        fetch_url(f"{server}/agenda.ics", is_allowed=only_127_0_0_2, max_bytes=1000)


def test_an_http_error_is_a_french_reason(server: str) -> None:
    with pytest.raises(FetchRefused, match="404"):
        fetch_url(f"{server}/missing", is_allowed=only_127_0_0_2)


def test_a_redirect_inside_is_refused_at_connection(server: str) -> None:
    Handler.redirect_to = server.replace("127.0.0.2", "127.0.0.1") + "/agenda.ics"
    with pytest.raises(FetchRefused, match="réseau privé"):
        fetch_url(f"{server}/redirect", is_allowed=only_127_0_0_2)


def test_a_redirect_to_another_scheme_is_refused(server: str) -> None:
    Handler.redirect_to = "ftp://example.org/agenda.ics"
    with pytest.raises(FetchRefused, match="non http"):
        fetch_url(f"{server}/redirect", is_allowed=only_127_0_0_2)


def test_a_redirect_to_a_public_page_is_followed(server: str) -> None:
    Handler.redirect_to = f"{server}/agenda.ics"
    assert fetch_url(f"{server}/redirect", is_allowed=only_127_0_0_2).startswith(b"BEGIN")


def test_by_default_the_loopback_server_itself_is_refused(server: str) -> None:
    with pytest.raises(FetchRefused, match="réseau privé"):
        fetch_url(f"{server}/agenda.ics")
