"""Web Push: browsers' subscriptions, and the sending of claimed push deliveries.

A subscription is what PushManager.subscribe gives a page (an endpoint at the browser's push service
and two keys); `subscribe` checks it and keeps it for a resident, or for a browser without an
account that follows one commune's alerts. `send_push_deliveries` encrypts each notification for
each subscription (aes128gcm, RFC 8291), signs with our VAPID key (RFC 8292) and posts it, many at
once from a pool of threads that keep their connections to each push service open.

What the push service answers decides the delivery: 2xx sent; 404 or 410 the subscription is gone
(deleted, with its deliveries); 429, 5xx or no answer: held for a later try (`fanout.release_held`
puts it back), at most MAX_ATTEMPTS times; anything else failed, with the reason.
"""

from __future__ import annotations

import datetime
import json
import os
import threading
import urllib.request
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

import urllib3
from cryptography.hazmat.primitives.asymmetric import ec
from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from pywebpush import WebPusher, WebPushException

from clocher.territories.models import Territory

from . import vapid
from .models import Channel, Delivery, DeliveryStatus, Notification, PushSubscription, Topic

ENDPOINT_MAX = 1000  # PushSubscription.endpoint
P256DH_BYTES = 65  # an uncompressed P-256 point
AUTH_BYTES = 16
USER_AGENT_MAX = 200

# How long a push service keeps a push for a phone that is off, and how hard it tries: an urgent
# alert is worth waking the phone for but stale in a few hours; ordinary news can wait two days.
URGENT_TTL = 6 * 3600
ALERT_TTL = 12 * 3600
DEFAULT_TTL = 2 * 86400
# A push payload must stay under 4 kB once encrypted; the body is cut well before.
BODY_MAX_BYTES = 2000

THREADS = 32
HTTP_TIMEOUT = (5.0, 15.0)  # connect, read
MAX_ATTEMPTS = 5
RETRY_BASE = datetime.timedelta(minutes=2)
RETRY_MAX = datetime.timedelta(hours=2)


class SubscriptionRefused(Exception):
    """A subscription the browser sent that cannot be kept; the message says why, in French."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


# Subscriptions ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class SubscriptionInfo:
    endpoint: str
    p256dh: str
    auth: str


def _allowed_host(host: str) -> bool:
    host = host.lower().rstrip(".")
    return any(host == allowed or host.endswith("." + allowed)
               for allowed in (entry.lower().strip(".") for entry in settings.PUSH_SERVICE_HOSTS))


def check_subscription(data: Any) -> SubscriptionInfo:
    """The endpoint and keys of PushSubscription.toJSON(), checked: an https address at a known push
    service (the server will post there), and keys of the sizes Web Push uses. Refuses anything else."""
    if not isinstance(data, dict):
        raise SubscriptionRefused(_("L'abonnement envoyé n'est pas lisible."))
    endpoint = data.get("endpoint")
    keys = data.get("keys")
    if not isinstance(endpoint, str) or not endpoint:
        raise SubscriptionRefused(_("L'abonnement envoyé n'a pas d'adresse."))
    if len(endpoint) > ENDPOINT_MAX:
        raise SubscriptionRefused(_("L'adresse de l'abonnement est trop longue."))
    try:
        parts = urlsplit(endpoint)
        parts.port  # noqa: B018 (reading it checks it)
    except ValueError:
        raise SubscriptionRefused(_("L'adresse de l'abonnement n'est pas valide.")) from None
    if parts.scheme != "https" or not parts.hostname or parts.username or parts.password or parts.fragment:
        raise SubscriptionRefused(_("L'adresse de l'abonnement doit être une adresse https."))
    if any(ch.isspace() or not ch.isprintable() for ch in endpoint):
        raise SubscriptionRefused(_("L'adresse de l'abonnement n'est pas valide."))
    if not _allowed_host(parts.hostname):
        raise SubscriptionRefused(_("Ce service de notifications n'est pas pris en charge."))
    if not isinstance(keys, dict):
        raise SubscriptionRefused(_("L'abonnement envoyé n'a pas de clés."))
    p256dh, auth = keys.get("p256dh"), keys.get("auth")
    if not isinstance(p256dh, str) or not isinstance(auth, str) or len(p256dh) > 200 or len(auth) > 100:
        raise SubscriptionRefused(_("Les clés de l'abonnement ne sont pas valides."))
    try:
        point = vapid.b64url_decode(p256dh)
        secret = vapid.b64url_decode(auth)
    except ValueError:
        raise SubscriptionRefused(_("Les clés de l'abonnement ne sont pas valides.")) from None
    if len(point) != P256DH_BYTES or point[0] != 4 or len(secret) != AUTH_BYTES:
        raise SubscriptionRefused(_("Les clés de l'abonnement n'ont pas la bonne taille."))
    try:
        ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), point)
    except ValueError:
        raise SubscriptionRefused(_("Les clés de l'abonnement ne sont pas valides.")) from None
    return SubscriptionInfo(endpoint=endpoint, p256dh=vapid.b64url(point), auth=vapid.b64url(secret))


def subscribe(info: SubscriptionInfo, *, user: Any = None, commune: Territory | None = None,
              user_agent: str = "", language: str = "fr") -> PushSubscription:
    """Keeps a browser's subscription for a signed-in resident (`user`) or, without an account, for
    one commune's alerts. The same endpoint again updates it (new keys, new owner: the browser is
    now theirs). Schedules nothing."""
    if user is None and commune is None:
        raise SubscriptionRefused(_("Choisissez d'abord votre commune."))
    owner: dict[str, Any] = {"user": user, "commune": None} if user is not None else {"user": None, "commune": commune}
    with transaction.atomic():
        subscription, _created = PushSubscription.objects.update_or_create(
            endpoint=info.endpoint,
            defaults={
                **owner, "p256dh": info.p256dh, "auth": info.auth,
                "user_agent": user_agent[:USER_AGENT_MAX], "language": (language or "fr")[:8], "failures": 0,
            },
        )
    return subscription


def unsubscribe(endpoint: str) -> bool:
    """Forgets the subscription at this endpoint (with its pending pushes); whether there was one.

    The endpoint is the proof: only the browser holding the subscription knows it."""
    if not isinstance(endpoint, str) or not endpoint or len(endpoint) > ENDPOINT_MAX:
        return False
    deleted, _rows = PushSubscription.objects.filter(endpoint=endpoint).delete()
    return deleted > 0


# Sending ---------------------------------------------------------------------------------------

def payload_of(notification: Notification, language: str | None = None) -> bytes:
    """What the service worker shows: title, body (in the browser's language), the page it opens
    and a tag that groups pushes about the same thing, as JSON."""
    title, body = notification.text(language)
    while len(body.encode("utf-8")) > BODY_MAX_BYTES:
        body = body[: len(body) * 3 // 4].rstrip() + "…"
    return json.dumps({
        "title": title, "body": body, "url": notification.url,
        "tag": notification.key[:120], "urgent": notification.urgent,
    }, ensure_ascii=False).encode("utf-8")


def ttl_of(notification: Notification) -> int:
    if notification.urgent:
        return URGENT_TTL
    return ALERT_TTL if notification.topic == Topic.ALERTS else DEFAULT_TTL


@dataclass(frozen=True)
class _Job:
    delivery_id: int
    subscription_id: int
    endpoint: str
    p256dh: str
    auth: str
    payload: bytes
    ttl: int
    urgent: bool


@dataclass(frozen=True)
class _Outcome:
    delivery_id: int
    subscription_id: int
    status: int | None  # the push service's HTTP status; None: no answer, or refused before sending
    error: str = ""
    retry_after: datetime.timedelta | None = None


_local = threading.local()
_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()


def _executor() -> ThreadPoolExecutor:
    # One pool per process, kept: its threads keep their sessions, so their connections stay open
    # from one batch to the next.
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(max_workers=THREADS, thread_name_prefix="push")
        return _pool


def _connection(origin: str) -> urllib3.HTTPConnectionPool | urllib3.ProxyManager:
    """This thread's keep-alive connection to one push service (urllib3 directly: requests' own
    work per request cost more than the encryption). The environment (proxies, CA bundle) is read
    once per connection, not at every request."""
    connections: dict[str, Any] | None = getattr(_local, "connections", None)
    if connections is None:
        connections = _local.connections = {}
    connection = connections.get(origin)
    if connection is None:
        host = urlsplit(origin).hostname or ""
        bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or None
        timeout = urllib3.Timeout(connect=HTTP_TIMEOUT[0], read=HTTP_TIMEOUT[1])
        proxy = None if urllib.request.proxy_bypass(host) else urllib.request.getproxies().get(urlsplit(origin).scheme)
        if proxy:
            connection = urllib3.ProxyManager(proxy, num_pools=1, maxsize=2, ca_certs=bundle, timeout=timeout,
                                              retries=False)
        else:
            connection = urllib3.connection_from_url(origin, maxsize=2, ca_certs=bundle, timeout=timeout,
                                                     retries=False)
        connections[origin] = connection
    return connection


def _retry_after(response: Any) -> datetime.timedelta | None:
    value = response.headers.get("Retry-After", "").strip()
    if not value:
        return None
    if value.isdigit():
        return datetime.timedelta(seconds=int(value))
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        return None
    return when - timezone.now()


def _send_one(job: _Job, keys: vapid.VapidKeys, subject: str) -> _Outcome:
    """Encrypts and posts one push (in a pool thread: no database here)."""
    parts = urlsplit(job.endpoint)
    origin = f"{parts.scheme}://{parts.netloc}"
    headers = {"Authorization": vapid.authorization(keys, origin, subject),
               "Urgency": "high" if job.urgent else "normal"}
    pusher = WebPusher({"endpoint": job.endpoint, "keys": {"p256dh": job.p256dh, "auth": job.auth}})
    try:
        body = pusher.encode(job.payload, "aes128gcm")["body"]
    except (WebPushException, ValueError) as error:  # keys the library cannot use: this subscription never will
        return _Outcome(job.delivery_id, job.subscription_id, None, f"keys: {error}"[:300])
    headers.update({"Content-Encoding": "aes128gcm", "Content-Type": "application/octet-stream",
                    "TTL": str(job.ttl)})
    try:
        connection = _connection(origin)
        # A pool to the push service takes the path; a proxy the whole address.
        target = job.endpoint if isinstance(connection, urllib3.ProxyManager) else (
            parts.path + (f"?{parts.query}" if parts.query else ""))
        response: Any = connection.urlopen("POST", target, body=body, headers=headers, redirect=False, retries=False)
    except urllib3.exceptions.HTTPError as error:
        return _Outcome(job.delivery_id, job.subscription_id, None, f"network: {type(error).__name__}"[:300],
                        retry_after=datetime.timedelta(0))
    status = int(response.status)
    reason = "" if 200 <= status < 300 else f"HTTP {status}: {response.data[:200].decode(errors='replace')}"
    retry = _retry_after(response) if status == 429 or status >= 500 else None
    return _Outcome(job.delivery_id, job.subscription_id, status, reason, retry)


def _jobs(deliveries: Sequence[Delivery]) -> list[_Job]:
    payloads: dict[tuple[int, str], tuple[bytes, int, bool]] = {}
    jobs: list[_Job] = []
    for delivery in deliveries:
        # Only what the caller claimed (fanout.claim moved it to "sending" under its token).
        if (delivery.channel != Channel.PUSH or delivery.status != DeliveryStatus.SENDING
                or delivery.claim is None or delivery.subscription is None):
            continue
        notification, subscription = delivery.notification, delivery.subscription
        # In the language the browser subscribed in (the resident's, or the visitor's page's).
        language = subscription.language
        if (notification.pk, language) not in payloads:
            payloads[notification.pk, language] = (payload_of(notification, language), ttl_of(notification),
                                                   notification.urgent)
        payload, ttl, urgent = payloads[notification.pk, language]
        jobs.append(_Job(delivery.pk, subscription.pk, subscription.endpoint, subscription.p256dh,
                         subscription.auth, payload, ttl, urgent))
    return jobs


@dataclass
class PushCounts:
    sent: int = 0
    gone: int = 0
    failed: int = 0
    retry: int = 0


def send_push_deliveries(deliveries: Sequence[Delivery]) -> PushCounts:
    """Sends the push deliveries the caller claimed (others are left alone) and records each
    outcome: sent, gone (the subscription is deleted), held for a retry, or failed."""
    jobs = _jobs(deliveries)
    counts = PushCounts()
    if not jobs:
        return counts
    keys = vapid.keys()
    subject = settings.VAPID_SUBJECT
    outcomes = list(_executor().map(lambda job: _send_one(job, keys, subject), jobs))
    attempts = dict(Delivery.objects.filter(pk__in=[job.delivery_id for job in jobs]).values_list("pk", "attempts"))
    now = timezone.now()
    sent: list[_Outcome] = []
    gone: set[int] = set()
    failed: list[_Outcome] = []
    retry: list[_Outcome] = []
    for outcome in outcomes:
        if outcome.status is not None and 200 <= outcome.status < 300:
            sent.append(outcome)
        elif outcome.status in (404, 410):
            gone.add(outcome.subscription_id)
        elif (outcome.retry_after is not None or (outcome.status is not None and (
                outcome.status == 429 or outcome.status >= 500))) and attempts.get(outcome.delivery_id, 0) + 1 < MAX_ATTEMPTS:
            retry.append(outcome)
        else:
            failed.append(outcome)
    with transaction.atomic():
        if sent:
            Delivery.objects.filter(pk__in=[o.delivery_id for o in sent], status=DeliveryStatus.SENDING).update(
                status=DeliveryStatus.SENT, sent_at=now, error="", attempts=F("attempts") + 1,
            )
            PushSubscription.objects.filter(pk__in={o.subscription_id for o in sent}).update(
                last_success_at=now, failures=0,
            )
        # Grouped by what is written, so a push service refusing a whole batch costs a few queries.
        held: dict[tuple[int, datetime.timedelta, str], list[int]] = {}
        for outcome in retry:
            tries = attempts.get(outcome.delivery_id, 0) + 1
            wait = min(RETRY_MAX, max(outcome.retry_after or datetime.timedelta(0), RETRY_BASE * 2 ** (tries - 1)))
            held.setdefault((tries, wait, outcome.error[:300]), []).append(outcome.delivery_id)
        for (tries, wait, error), ids in held.items():
            Delivery.objects.filter(pk__in=ids, status=DeliveryStatus.SENDING).update(
                status=DeliveryStatus.HELD, send_after=now + wait, claim=None, attempts=tries, error=error,
            )
        refused: dict[str, list[int]] = {}
        for outcome in failed:
            refused.setdefault(outcome.error[:300] or "?", []).append(outcome.delivery_id)
        for error, ids in refused.items():
            Delivery.objects.filter(pk__in=ids, status=DeliveryStatus.SENDING).update(
                status=DeliveryStatus.FAILED, error=error, attempts=F("attempts") + 1,
            )
        if failed:
            PushSubscription.objects.filter(pk__in={o.subscription_id for o in failed}).update(
                failures=F("failures") + 1,
            )
        if gone:
            # Its deliveries go with it (cascade), this one and any other still waiting.
            PushSubscription.objects.filter(pk__in=gone).delete()
    counts.sent, counts.gone, counts.failed, counts.retry = len(sent), len(gone), len(failed), len(retry)
    return counts
