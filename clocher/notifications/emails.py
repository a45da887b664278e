"""E-mails of notifications: one per delivery for those who want them at once (`send_email_deliveries`,
called by sending.send_pending on claimed deliveries), and daily or weekly digests (digests.py).

Each e-mail is plain text and HTML, written in the recipient's language, links to the item on
the portal that covers its territory, and carries a one-click unsubscribe link for its kind of
message (its topics, by e-mail): in the body, and as List-Unsubscribe / List-Unsubscribe-Post
headers (RFC 8058) so mail clients offer it themselves.
"""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMultiAlternatives, get_connection
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from clocher.territories.models import Portal, PortalHost, Territory

from .models import Delivery, DeliveryStatus, Topic
from .services import drop_unwanted, unsubscribed_topics

logger = logging.getLogger(__name__)

UNSUBSCRIBE_SALT = "clocher.notifications.unsubscribe-email"
# An e-mail read months later must still unsubscribe: a year, after which the preferences page does.
UNSUBSCRIBE_MAX_AGE = 365 * 24 * 3600
UNSUBSCRIBED = "unsubscribed"
MAIL_ERRORS = (smtplib.SMTPException, OSError)


class BadUnsubscribeToken(Exception):
    """The unsubscribe link was altered, belongs to nothing we made, or is too old."""


def unsubscribe_token(user_id: int, topics: Iterable[str]) -> str:
    """A signed token naming a person and the topics whose e-mails its link turns off."""
    return signing.dumps({"u": user_id, "t": sorted(set(topics))}, salt=UNSUBSCRIBE_SALT)


def read_unsubscribe_token(token: str) -> tuple[int, list[str]]:
    """The person and topics of a token; raises BadUnsubscribeToken when it is not one of ours."""
    try:
        data = signing.loads(token, salt=UNSUBSCRIBE_SALT, max_age=UNSUBSCRIBE_MAX_AGE)
    except signing.BadSignature as error:  # SignatureExpired is one too
        raise BadUnsubscribeToken(str(error)) from error
    if (
        not isinstance(data, dict) or not isinstance(data.get("u"), int) or not isinstance(data.get("t"), list)
        or not all(isinstance(topic, str) for topic in data["t"])
    ):
        raise BadUnsubscribeToken("malformed")
    return data["u"], list(data["t"])


@dataclass(frozen=True)
class Site:
    """The portal an e-mail speaks for and its address, for absolute links."""

    name: str
    base_url: str  # "https://gers.example.fr", no trailing slash

    def absolute(self, path: str) -> str:
        if path.startswith(("http://", "https://")):
            return path
        return self.base_url + (path if path.startswith("/") else "/" + path)


class Sites:
    """Finds, and remembers for one sending run, the portal covering a territory: the active portal
    whose root is the territory or one of its parents, with a host name."""

    def __init__(self) -> None:
        self._by_territory: dict[int | None, Site] = {}

    def for_territory(self, territory: Territory | None) -> Site:
        key = territory.pk if territory is not None else None
        if key not in self._by_territory:
            self._by_territory[key] = self._find(territory)
        return self._by_territory[key]

    def _find(self, territory: Territory | None) -> Site:
        scheme = "https" if settings.SECURE_SSL else "http"
        hosts = PortalHost.objects.select_related("portal").filter(portal__is_active=True)
        if territory is not None:
            found = (
                hosts.filter(portal__root_id__in=[territory.pk, *territory.parent_ids()]).order_by("portal_id", "pk").first()
            )
            if found is not None:
                return Site(found.portal.short_name or found.portal.name, f"{scheme}://{found.hostname}")
        # A personal notification with no territory, or a territory outside every portal.
        first = hosts.order_by("portal_id", "pk").first()
        if first is None:
            return Site("Clocher", f"{scheme}://localhost")
        portal: Portal = first.portal
        return Site(portal.short_name or portal.name, f"{scheme}://{first.hostname}")


def language_of(user: Any) -> str:
    chosen = getattr(user, "language", "") or settings.LANGUAGE_CODE
    return chosen if chosen in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE


def build_message(
    *, user: Any, site: Site, subject: str, template: str, context: dict[str, Any], topics: Iterable[str],
    connection: Any = None,
) -> EmailMultiAlternatives:
    """An e-mail in the recipient's language, with its unsubscribe link in the body and the headers.

    `template` names the pair `notifications/email/<template>.txt` / `.html`.
    """
    unsubscribe_url = site.absolute(
        reverse("notifications:unsubscribe", kwargs={"token": unsubscribe_token(user.pk, topics)})
    )
    full = {
        **context, "site": site, "user": user, "unsubscribe_url": unsubscribe_url,
        "preferences_url": site.absolute(reverse("notifications:preferences")),
    }
    with translation.override(language_of(user)):
        full["topic_labels"] = [str(Topic(topic).label) for topic in sorted(set(topics))]
        text = render_to_string(f"notifications/email/{template}.txt", full)
        html = render_to_string(f"notifications/email/{template}.html", full)
        subject_line = " ".join(f"[{site.name}] {subject}".split())
    message = EmailMultiAlternatives(
        subject=subject_line[:250], body=text, from_email=settings.DEFAULT_FROM_EMAIL, to=[user.email],
        headers={"List-Unsubscribe": f"<{unsubscribe_url}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"},
        connection=connection,
    )
    message.attach_alternative(html, "text/html")
    return message


def _unreachable(delivery: Delivery) -> bool:
    user = delivery.user
    return user is None or not user.is_active or not user.email


def send_email_deliveries(deliveries: Sequence[Delivery]) -> None:
    """Sends one e-mail per claimed delivery ("sending", with its notification and user loaded).

    A sent one becomes SENT; a refused one FAILED with the reason, and is not retried (the inbox
    still has it). A person who turned the topic's e-mails off since the fan-out gets nothing.
    """
    sites = Sites()
    by_user: dict[int, list[Delivery]] = {}
    for delivery in deliveries:
        if delivery.status == DeliveryStatus.SENDING and delivery.user_id is not None:
            by_user.setdefault(delivery.user_id, []).append(delivery)
    sent: list[int] = []
    # One connection for the batch, opened by the first message (a refused connection fails each
    # message in turn, and each is marked FAILED rather than left "sending").
    connection = get_connection()
    try:
        for user_id, own in by_user.items():
            dropped = unsubscribed_topics(user_id, {d.notification.topic for d in own})
            drop_unwanted([d for d in own if d.notification.topic in dropped], UNSUBSCRIBED)
            for delivery in own:
                if delivery.notification.topic in dropped:
                    continue
                if _unreachable(delivery):
                    drop_unwanted([delivery], "no address")
                    continue
                notification = delivery.notification
                site = sites.for_territory(notification.territory or delivery.user.home_commune)  # type: ignore[union-attr]  # checked by _unreachable
                message = build_message(
                    user=delivery.user, site=site, subject=notification.text(language_of(delivery.user))[0],
                    template="immediate",
                    context={"notification": notification, "link": site.absolute(notification.url),
                             "territory_name": notification.territory.name if notification.territory else ""},
                    topics=[notification.topic], connection=connection,
                )
                try:
                    message.send()
                except MAIL_ERRORS as error:
                    logger.warning("Notification e-mail %s not sent: %s", delivery.pk, error)
                    Delivery.objects.filter(pk=delivery.pk).update(status=DeliveryStatus.FAILED, error=str(error)[:300])
                else:
                    sent.append(delivery.pk)
    finally:
        connection.close()
        if sent:
            Delivery.objects.filter(pk__in=sent).update(status=DeliveryStatus.SENT, sent_at=timezone.now())
