"""The installation's VAPID key pair (RFC 8292): push services know our pushes by its signature.

The key comes from settings (VAPID_PRIVATE_KEY, optionally VAPID_PUBLIC_KEY to check it) or, without
them, from the one `VapidKey` row, made the first time it is needed (`clocher vapid` makes it at
set-up). Browsers subscribe with the public key: changing it would orphan every subscription, so it
is made once and never replaced by this code.
"""

from __future__ import annotations

import base64
import functools
import threading
import time
from dataclasses import dataclass

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import IntegrityError, transaction
from py_vapid import Vapid02

from .models import VapidKey

# A push service accepts a VAPID token for at most 24 hours; ours live 12 and are made again after
# 11, so one signature serves thousands of pushes to the same service instead of one each.
TOKEN_SECONDS = 12 * 3600
TOKEN_RENEW_SECONDS = 11 * 3600


@dataclass(frozen=True)
class VapidKeys:
    private_pem: str
    public_key: str  # base64url without padding of the uncompressed point, as PushManager wants it
    source: str  # "settings" or "database"


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    """Decodes base64url with or without padding; raises ValueError on anything else."""
    cleaned = text.strip().rstrip("=")
    if not cleaned or any(not (ch.isascii() and (ch.isalnum() or ch in "-_")) for ch in cleaned):
        raise ValueError("not base64url")
    try:
        return base64.urlsafe_b64decode(cleaned + "=" * (-len(cleaned) % 4))
    except (ValueError, TypeError) as error:
        raise ValueError("not base64url") from error


def _public_of(private_key: ec.EllipticCurvePrivateKey) -> str:
    return b64url(private_key.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint,
    ))


def _pem_of(private_key: ec.EllipticCurvePrivateKey) -> str:
    return private_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption(),
    ).decode("ascii")


def _load_private(text: str) -> ec.EllipticCurvePrivateKey:
    """A P-256 private key from PEM, or from base64url of its raw 32 bytes or of its DER."""
    text = text.strip()
    try:
        if text.startswith("-----BEGIN"):
            key = serialization.load_pem_private_key(text.encode("ascii"), password=None)
        else:
            raw = b64url_decode(text)
            if len(raw) == 32:
                key = ec.derive_private_key(int.from_bytes(raw, "big"), ec.SECP256R1())
            else:
                key = serialization.load_der_private_key(raw, password=None)
    except (ValueError, TypeError) as error:
        raise ImproperlyConfigured("VAPID_PRIVATE_KEY is not a P-256 private key (PEM or base64url).") from error
    if not isinstance(key, ec.EllipticCurvePrivateKey) or not isinstance(key.curve, ec.SECP256R1):
        raise ImproperlyConfigured("VAPID_PRIVATE_KEY must be an elliptic-curve key on P-256.")
    return key


def _from_settings() -> VapidKeys | None:
    if not settings.VAPID_PRIVATE_KEY:
        if settings.VAPID_PUBLIC_KEY:
            raise ImproperlyConfigured("VAPID_PUBLIC_KEY is set without VAPID_PRIVATE_KEY.")
        return None
    key = _load_private(settings.VAPID_PRIVATE_KEY)
    public = _public_of(key)
    if settings.VAPID_PUBLIC_KEY and settings.VAPID_PUBLIC_KEY.strip().rstrip("=") != public:
        raise ImproperlyConfigured("VAPID_PUBLIC_KEY does not match VAPID_PRIVATE_KEY.")
    return VapidKeys(private_pem=_pem_of(key), public_key=public, source="settings")


def ensure_keys() -> tuple[VapidKeys, bool]:
    """The key pair in use, and whether this call made it (only when settings give none and the
    database holds none yet). Two processes starting at once still end with one pair."""
    configured = _from_settings()
    if configured is not None:
        return configured, False
    row = VapidKey.objects.order_by("pk").first()
    created = False
    if row is None:
        key = ec.generate_private_key(ec.SECP256R1())
        try:
            with transaction.atomic():
                row, created = VapidKey.objects.get_or_create(
                    pk=1, defaults={"private_key": _pem_of(key), "public_key": _public_of(key)},
                )
        except IntegrityError:  # made by another process between our read and our write
            row = VapidKey.objects.get(pk=1)
    return VapidKeys(private_pem=row.private_key, public_key=row.public_key, source="database"), created


def keys() -> VapidKeys:
    return ensure_keys()[0]


def public_key() -> str:
    """The application server key browsers subscribe with (base64url)."""
    return keys().public_key


@functools.lru_cache(maxsize=4)
def _signer(private_pem: str) -> Vapid02:
    return Vapid02.from_pem(private_pem.encode("ascii"))


_tokens: dict[tuple[str, str], tuple[float, str]] = {}
_tokens_lock = threading.Lock()


def authorization(vapid_keys: VapidKeys, audience: str, subject: str) -> str:
    """The `Authorization: vapid t=…,k=…` header for one push service origin, signed once and
    reused until it nears its expiry (thread-safe)."""
    cache_key = (vapid_keys.public_key, audience)
    now = time.time()
    with _tokens_lock:
        cached = _tokens.get(cache_key)
        if cached is not None and cached[0] > now:
            return cached[1]
    claims = {"aud": audience, "sub": subject, "exp": int(now) + TOKEN_SECONDS}
    header = str(_signer(vapid_keys.private_pem).sign(claims)["Authorization"])
    with _tokens_lock:
        _tokens[cache_key] = (now + TOKEN_RENEW_SECONDS, header)
    return header
