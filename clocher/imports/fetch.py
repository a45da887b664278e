"""Downloading a source over http(s) without letting a URL typed by staff reach inside our network.

A source URL is chosen by the staff of any territory, and the server fetches it: pointed at
127.0.0.1, 10.0.0.0/8 or a cloud metadata address, it would read what only the server may read
(SSRF). So the host is resolved and every address must be public, both when the URL is saved
(`check_url`, for a clear form error) and at each connection, redirects included (so a name that
resolves elsewhere later, or a redirect to an internal host, is refused too). Proxies from the
environment are ignored: they would connect on our behalf, past that check. Downloads stop at a
size cap and a deadline.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from django.utils.translation import gettext as _

TIMEOUT_SECONDS = 10.0
MAX_BYTES = 16 * 1024 * 1024
MAX_REDIRECTS = 5
USER_AGENT = "Clocher (+https://github.com/clocher) imports"

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


class FetchRefused(Exception):
    """A URL that may not be fetched, or a download that failed; the message is French."""


def is_public(address: Address) -> bool:
    """Whether an address is on the public internet: not loopback, private (10/8, 172.16/12,
    192.168/16, fc00::/7), link-local (169.254/16 with cloud metadata, fe80::/10), shared, reserved,
    multicast or unspecified. An IPv4 address carried in IPv6 is judged as that IPv4 address:
    mapped (::ffff:127.0.0.1), compatible (::127.0.0.1), 6to4 (2002:7f00:1::), NAT64
    (64:ff9b::7f00:1), Teredo."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(address)
        if embedded is not None:
            address = embedded
    return address.is_global and not address.is_multicast


_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
_COMPATIBLE = ipaddress.IPv6Network("::/96")


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    if address in _NAT64 or (address in _COMPATIBLE and int(address) > 1):
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def resolve(host: str, port: int) -> list[Address]:
    """Every address of a host name (or the address itself)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as error:
        raise FetchRefused(_("Le nom %(host)s est introuvable.") % {"host": host}) from error
    addresses: list[Address] = []
    for _family, _type, _proto, _name, sockaddr in infos:
        address = ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0])
        if address not in addresses:
            addresses.append(address)
    return addresses


Resolver = Callable[[str, int], list[Address]]
IsAllowed = Callable[[Address], bool]


def check_url(url: str, *, resolver: Resolver | None = None, is_allowed: IsAllowed = is_public) -> str:
    """The URL, stripped, when it may be fetched: http or https, a host whose every address is
    public. FetchRefused otherwise, with the reason in French."""
    url = url.strip()
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as error:
        raise FetchRefused(_("Adresse illisible.")) from error
    if parts.scheme.lower() not in ("http", "https"):
        raise FetchRefused(_("Seules les adresses http:// et https:// sont acceptées."))
    host = parts.hostname
    if not host:
        raise FetchRefused(_("Il manque le nom du serveur dans l'adresse."))
    if parts.username or parts.password:
        raise FetchRefused(_("L'adresse ne doit pas contenir d'identifiant ni de mot de passe."))
    addresses = (resolver or resolve)(host, port or (443 if parts.scheme.lower() == "https" else 80))
    if not addresses:
        raise FetchRefused(_("Le nom %(host)s est introuvable.") % {"host": host})
    if not all(is_allowed(address) for address in addresses):
        raise FetchRefused(
            _("Cette adresse mène à un réseau privé ou local (%(host)s) : elle n'est pas acceptée.")
            % {"host": host}
        )
    return url


def _connect(host: str, port: int, timeout: float | None, is_allowed: IsAllowed) -> socket.socket:
    """A socket to the first public address of the host; the address connected to is the one checked."""
    addresses = resolve(host, port)
    refused = [a for a in addresses if not is_allowed(a)]
    if refused or not addresses:
        raise FetchRefused(
            _("Cette adresse mène à un réseau privé ou local (%(host)s) : elle n'est pas acceptée.")
            % {"host": host}
        )
    last: OSError | None = None
    for address in addresses:
        try:
            return socket.create_connection((str(address), port), timeout=timeout)
        except OSError as error:
            last = error
    raise last or OSError("no address")


def _opener(is_allowed: IsAllowed) -> urllib.request.OpenerDirector:
    class GuardedHTTPConnection(http.client.HTTPConnection):
        def connect(self) -> None:
            self.sock = _connect(self.host, self.port, self.timeout, is_allowed)

    class GuardedHTTPSConnection(http.client.HTTPSConnection):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            self.tls = kwargs.pop("context", None) or ssl.create_default_context()
            super().__init__(*args, context=self.tls, **kwargs)

        def connect(self) -> None:
            sock = _connect(self.host, self.port, self.timeout, is_allowed)
            self.sock = self.tls.wrap_socket(sock, server_hostname=self.host)

    class HTTPHandler(urllib.request.HTTPHandler):
        def http_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
            return self.do_open(GuardedHTTPConnection, req)

    class HTTPSHandler(urllib.request.HTTPSHandler):
        def https_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
            return self.do_open(GuardedHTTPSConnection, req)

    class RedirectHandler(urllib.request.HTTPRedirectHandler):
        max_redirections = MAX_REDIRECTS

        def redirect_request(
            self, req: urllib.request.Request, fp: Any, code: int, msg: str, headers: Any, newurl: str
        ) -> urllib.request.Request | None:
            # Only http(s): the default handler would follow ftp:// past the address check.
            if urlsplit(newurl).scheme.lower() not in ("http", "https"):
                raise FetchRefused(_("Redirection vers une adresse non http(s) refusée."))
            return super().redirect_request(req, fp, code, msg, headers, newurl)

    # Built by hand rather than with build_opener, which would add proxy, ftp and file handlers.
    opener = urllib.request.OpenerDirector()
    for handler in (
        urllib.request.UnknownHandler(), HTTPHandler(), HTTPSHandler(),
        urllib.request.HTTPDefaultErrorHandler(), RedirectHandler(), urllib.request.HTTPErrorProcessor(),
    ):
        opener.add_handler(handler)
    return opener


def _wait_at_most_until(response: Any, deadline: float) -> None:
    """Refuses once the deadline has passed, else lets the next read wait only until it."""
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise FetchRefused(_("Le serveur a mis trop de temps à répondre."))
    sock = getattr(getattr(getattr(response, "fp", None), "raw", None), "_sock", None)
    if sock is not None:
        sock.settimeout(remaining)


def fetch_url(
    url: str, *, timeout: float = TIMEOUT_SECONDS, max_bytes: int = MAX_BYTES,
    is_allowed: IsAllowed = is_public,
) -> bytes:
    """The body of an http(s) URL, at most `max_bytes`, within `timeout` seconds in all.
    FetchRefused, with a French reason, for a refused address, an HTTP error, a timeout or a
    body too large."""
    check_url(url, is_allowed=is_allowed)
    deadline = time.monotonic() + timeout
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT, "Accept": "*/*"})  # noqa: S310 - scheme checked above
    try:
        with _opener(is_allowed).open(request, timeout=timeout) as response:
            length = response.headers.get("Content-Length")
            if length and length.isdigit() and int(length) > max_bytes:
                raise FetchRefused(_("Document trop grand (plus de %(n)d octets).") % {"n": max_bytes})
            chunks: list[bytes] = []
            size = 0
            while True:
                _wait_at_most_until(response, deadline)
                # read1: what has arrived, not 64 KiB; a server dripping a byte at a time must
                # not hold the worker past the deadline.
                chunk = response.read1(64 * 1024)
                if not chunk:
                    break
                size += len(chunk)
                if size > max_bytes:
                    raise FetchRefused(_("Document trop grand (plus de %(n)d octets).") % {"n": max_bytes})
                chunks.append(chunk)
    except urllib.error.HTTPError as error:
        raise FetchRefused(_("Le serveur a répondu %(code)d.") % {"code": error.code}) from error
    except urllib.error.URLError as error:
        if isinstance(error.reason, FetchRefused):
            raise error.reason from error
        raise FetchRefused(_("Téléchargement impossible : %(reason)s") % {"reason": error.reason}) from error
    except TimeoutError as error:
        raise FetchRefused(_("Le serveur a mis trop de temps à répondre.")) from error
    except (OSError, http.client.HTTPException, ValueError) as error:
        raise FetchRefused(_("Téléchargement impossible : %(reason)s") % {"reason": error}) from error
    return b"".join(chunks)
