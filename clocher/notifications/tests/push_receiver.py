"""A push service on 127.0.0.1 for tests and the bench: it holds the private keys of the subscriptions
it hands out, decrypts what it receives (aes128gcm, with http_ece, independently of pywebpush's
sending side) and checks the VAPID signature, so a test sees exactly what a phone would show.

It speaks HTTPS with a certificate of its own authority (`ca_path`): the sender trusts it through
REQUESTS_CA_BUNDLE, and a subscription's endpoint is an https address as a real one is.

In a test:

    with PushReceiver() as receiver:
        subscription = receiver.subscription("phone")     # {"endpoint": ..., "keys": {...}}
        receiver.answer("phone", 410)                     # this endpoint now answers 410
        ...
        receiver.received[0].payload                      # the decrypted JSON

For the bench, in a process of its own (so it does not share the worker's interpreter):

    python -m clocher.notifications.tests.push_receiver
prints one JSON line {"url", "ca", "p256dh", "auth"}: every endpoint under {url}/shared/ is
encrypted to that one key pair; GET {url}/stats answers the counts so far.
"""

from __future__ import annotations

import base64
import collections
import datetime
import json
import ssl
import sys
import tempfile
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import http_ece
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from py_vapid import Vapid02

SHARED = "shared"


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    payload: Any  # the decrypted JSON, or None when it could not be decrypted
    vapid_valid: bool


@dataclass
class _Keys:
    private: ec.EllipticCurvePrivateKey
    auth: bytes

    @property
    def p256dh(self) -> str:
        return _b64url(self.private.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint))


def _certificates(folder: Path) -> tuple[Path, Path, Path]:
    """A certificate authority and a certificate for 127.0.0.1 and localhost signed by it."""
    import ipaddress

    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Clocher test push service CA")])
    ca = (
        x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(days=2))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=False, content_commitment=False, key_encipherment=False,
                                     data_encipherment=False, key_agreement=False, key_cert_sign=True,
                                     crl_sign=True, encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    leaf = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
        .issuer_name(ca_name).public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(days=2))
        .add_extension(x509.SubjectAlternativeName([
            x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    ca_path, cert_path, key_path = folder / "ca.pem", folder / "cert.pem", folder / "key.pem"
    ca_path.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    cert_path.write_bytes(leaf.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return ca_path, cert_path, key_path


@dataclass
class PushReceiver:
    """The push service: `subscription(name)` hands out an endpoint and keys it can decrypt for."""

    keep: bool = True  # keep every Received (tests); the bench keeps counts only
    # The bench's mode: like a real push service, accept and store what arrives (checking the VAPID
    # signature and the encoding) and leave decrypting, the phone's job, until the stats are asked
    # for, so the measured fan-out does not share the machine's cores with 100,000 decryptions.
    defer_decrypt: bool = False
    received: list[Received] = field(default_factory=list)
    counts: collections.Counter[str] = field(default_factory=collections.Counter)
    payloads: collections.Counter[str] = field(default_factory=collections.Counter)

    def __post_init__(self) -> None:
        self._keys: dict[str, _Keys] = {}
        self._answers: dict[str, int] = {}
        self._verified: dict[str, bool] = {}
        self._stored: list[tuple[str, dict[str, str], bytes, bool]] = []
        self._lock = threading.Lock()
        self._folder = tempfile.TemporaryDirectory(prefix="push-receiver-")
        self.ca_path, cert, key = _certificates(Path(self._folder.name))
        self._keys[SHARED] = self._new_keys()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as push services do

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                status = receiver._receive(self.path, dict(self.headers.items()), body)
                self._reply(status, b"")

            def do_GET(self) -> None:
                if self.path == "/stats":
                    receiver.decrypt_stored()
                    with receiver._lock:
                        stats = {"counts": dict(receiver.counts), "payloads": dict(receiver.payloads)}
                    self._reply(200, json.dumps(stats).encode(), "application/json")
                else:
                    self._reply(404, b"")

            def _reply(self, status: int, body: bytes, kind: str = "text/plain") -> None:
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._server.socket = context.wrap_socket(self._server.socket, server_side=True)
        self._thread = threading.Thread(target=self._server.serve_forever, name="push-receiver", daemon=True)

    # Life ------------------------------------------------------------------------------------

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> PushReceiver:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._folder.cleanup()

    def __enter__(self) -> PushReceiver:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # Subscriptions ---------------------------------------------------------------------------

    @staticmethod
    def _new_keys() -> _Keys:
        import os

        return _Keys(private=ec.generate_private_key(ec.SECP256R1()), auth=os.urandom(16))

    def subscription(self, name: str) -> dict[str, Any]:
        """A new subscription, as PushSubscription.toJSON() gives it, whose messages this receiver
        decrypts with keys only it holds."""
        keys = self._new_keys()
        with self._lock:
            self._keys[name] = keys
        return {"endpoint": f"{self.url}/push/{name}", "keys": {"p256dh": keys.p256dh, "auth": _b64url(keys.auth)}}

    def shared_keys(self) -> dict[str, str]:
        """The keys of every endpoint under /shared/ (the bench's many subscriptions)."""
        keys = self._keys[SHARED]
        return {"p256dh": keys.p256dh, "auth": _b64url(keys.auth)}

    def answer(self, name: str, status: int) -> None:
        """From now on, pushes to this subscription get this HTTP status (and are not recorded)."""
        with self._lock:
            self._answers[name] = status

    def for_subscription(self, name: str) -> list[Received]:
        return [item for item in self.received if item.path == f"/push/{name}"]

    # Receiving -------------------------------------------------------------------------------

    def _receive(self, path: str, headers: dict[str, str], body: bytes) -> int:
        parts = path.strip("/").split("/")
        name = SHARED if parts[0] == SHARED else (parts[1] if len(parts) == 2 and parts[0] == "push" else "")
        with self._lock:
            keys = self._keys.get(name)
            answer = self._answers.get(name)
        if keys is None:
            self.counts["unknown"] += 1
            return 404
        if answer is not None:
            with self._lock:
                self.counts[f"answered {answer}"] += 1
            return answer
        lowered = {key.lower(): value for key, value in headers.items()}
        valid = self._vapid_valid(lowered.get("authorization", ""))
        if self.defer_decrypt:
            if lowered.get("content-encoding") != "aes128gcm" or not body:
                with self._lock:
                    self.counts["received"] += 1
                    self.counts["undecryptable"] += 1
                return 400
            with self._lock:
                self._stored.append((path, lowered, body, valid))
            return 201
        payload = self._record(path, lowered, body, valid)
        if payload is None or lowered.get("content-encoding") != "aes128gcm":
            return 400
        return 201

    def _vapid_valid(self, authorization: str) -> bool:
        with self._lock:
            valid = self._verified.get(authorization)
        if valid is None:
            try:
                valid = bool(Vapid02.verify(authorization))
            except Exception:  # noqa: BLE001
                valid = False
            with self._lock:
                self._verified[authorization] = valid
        return valid

    def _record(self, path: str, lowered: dict[str, str], body: bytes, valid: bool) -> Any:
        """Decrypts one push with the keys of its subscription and counts it; returns its JSON or None."""
        parts = path.strip("/").split("/")
        name = SHARED if parts[0] == SHARED else (parts[1] if len(parts) == 2 and parts[0] == "push" else "")
        with self._lock:
            keys = self._keys[name]
        payload: Any = None
        try:
            plain = http_ece.decrypt(body, private_key=keys.private, auth_secret=keys.auth, version="aes128gcm")
            payload = json.loads(plain)
        except Exception:  # noqa: BLE001 (anything that is not a readable push counts as a failure)
            payload = None
        with self._lock:
            self.counts["received"] += 1
            self.counts["decrypted" if payload is not None else "undecryptable"] += 1
            if not valid:
                self.counts["bad vapid"] += 1
            if payload is not None:
                self.payloads[json.dumps(payload, sort_keys=True, ensure_ascii=False)] += 1
            if self.keep:
                self.received.append(Received(path=path, headers=lowered, payload=payload, vapid_valid=valid))
        return payload

    def decrypt_stored(self) -> None:
        """Decrypts what the deferred mode stored (the phones reading their pushes)."""
        with self._lock:
            stored, self._stored = self._stored, []
        for path, lowered, body, valid in stored:
            self._record(path, lowered, body, valid)

def main() -> None:
    receiver = PushReceiver(keep=False, defer_decrypt=True).start()
    sys.stdout.write(json.dumps({"url": receiver.url, "ca": str(receiver.ca_path), **receiver.shared_keys()}) + "\n")
    sys.stdout.flush()
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        receiver.stop()


if __name__ == "__main__":
    main()
