"""What residents follow and what reaches them (issue 8). See docs/notifications.md.

A module announces something (`notifications.announce`): one `Notification` row, unique by its key,
so announcing twice is announcing once. The fan-out (a background task) decides who gets it on which
channel and writes one `Delivery` per recipient and channel, unique too, so a retried task never
sends twice: it sends only the deliveries it moves from "pending" to "sending" itself.

Who follows what: a resident follows their home commune (unless they turned it off) and the communes
in `User.followed_communes`; `TopicPreference` says, per topic, on which channels; no row means the
topic's defaults (`topics.DEFAULTS`). A browser without an account follows one commune's alerts
through its `PushSubscription`.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from clocher.territories.models import Territory


class Topic(models.TextChoices):
    ALERTS = "alerts", _("Alertes")
    NEWS = "news", _("Actualités")
    EVENTS = "events", _("Événements")
    MENUS = "menus", _("Menus de la cantine")
    PARTICIPATION = "participation", _("Participation : sondages, consultations, budgets participatifs")
    MY_REPORTS = "my_reports", _("Mes signalements")


class Channel(models.TextChoices):
    PUSH = "push", _("Notification sur l'appareil")
    EMAIL = "email", _("E-mail")
    INBOX = "inbox", _("Boîte de réception")


class EmailFrequency(models.TextChoices):
    OFF = "off", _("Jamais")
    IMMEDIATE = "immediate", _("Tout de suite")
    DAILY = "daily", _("Un résumé par jour")
    WEEKLY = "weekly", _("Un résumé par semaine")


class NotificationSettings(models.Model):
    """A resident's settings that are not per topic: quiet hours, and whether their home commune is
    followed (it is, unless they say otherwise). No row means the defaults."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, models.CASCADE, related_name="notification_settings")
    follow_home = models.BooleanField(_("suivre ma commune"), default=True)
    # Quiet hours, in the portal's time zone; an end before the start spans midnight (22:00-07:00).
    # Push notifications wait until they end, except urgent alerts.
    quiet_start = models.TimeField(_("début des heures calmes"), null=True, blank=True)
    quiet_end = models.TimeField(_("fin des heures calmes"), null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("réglages des notifications")
        verbose_name_plural = _("réglages des notifications")

    def __str__(self) -> str:
        return str(self.user_id)


class TopicPreference(models.Model):
    """On which channels a resident wants one topic; `categories` narrows events to some categories
    (their slugs; empty: all)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, models.CASCADE, related_name="topic_preferences")
    topic = models.CharField(_("sujet"), max_length=16, choices=Topic.choices)
    push = models.BooleanField(_("notification sur l'appareil"), default=False)
    inbox = models.BooleanField(_("boîte de réception"), default=True)
    email = models.CharField(_("e-mail"), max_length=10, choices=EmailFrequency.choices, default=EmailFrequency.OFF)
    categories = models.JSONField(default=list, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("préférence de notification")
        verbose_name_plural = _("préférences de notification")
        constraints = [models.UniqueConstraint(fields=["user", "topic"], name="topic_preference_once")]

    def __str__(self) -> str:
        return f"{self.user_id} · {self.topic}"


class PushSubscription(models.Model):
    """A browser's Web Push subscription (endpoint and keys, as PushManager gives them).

    Of a resident (`user`), or of a browser without an account that follows one commune's alerts
    (`commune`, no user). Removed when the push service answers 404 or 410.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, models.CASCADE, null=True, blank=True,
                             related_name="push_subscriptions")
    commune = models.ForeignKey(Territory, models.CASCADE, null=True, blank=True, related_name="+")
    endpoint = models.URLField(max_length=1000, unique=True)
    p256dh = models.CharField(max_length=200)
    auth = models.CharField(max_length=100)
    user_agent = models.CharField(max_length=200, blank=True)
    language = models.CharField(max_length=8, default="fr")
    created_at = models.DateTimeField(auto_now_add=True)
    last_success_at = models.DateTimeField(null=True, blank=True)
    failures = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("abonnement aux notifications")
        verbose_name_plural = _("abonnements aux notifications")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(user__isnull=False) | models.Q(commune__isnull=False),
                name="push_subscription_has_owner",
            ),
        ]
        indexes = [models.Index(fields=["commune"], name="push_subscription_commune")]

    def __str__(self) -> str:
        return f"{self.user_id or self.commune_id} · {self.endpoint[:40]}"


class Notification(models.Model):
    """Something a module announced: a started alert, a published article, a report's new status...

    `key` names the event ("news.alert:42:started") and is unique: the same event announced twice
    is one notification. `territory` is who published it and `audience` the territories it is for
    (empty: the publisher's); a personal notification names its `recipient` instead.
    """

    key = models.CharField(max_length=200, unique=True)
    topic = models.CharField(max_length=16, choices=Topic.choices)
    territory = models.ForeignKey(Territory, models.CASCADE, null=True, blank=True, related_name="+")
    audience = models.ManyToManyField(Territory, blank=True, related_name="+")
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, models.CASCADE, null=True, blank=True, related_name="+")
    # Events' category slugs, comma-separated, for those who follow some categories only.
    category = models.CharField(max_length=300, blank=True)
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    url = models.CharField(max_length=500)
    # Title and body in the other languages, when the module wrote them in words of its own ("Votre
    # signalement est résolu"): {"en": {"title": ..., "body": ...}}. What staff wrote stays as written.
    translations = models.JSONField(default=dict, blank=True)
    urgent = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    fanned_out_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return self.key

    def text(self, language: str | None = None) -> tuple[str, str]:
        """The title and body in `language` (the active one by default), or as announced."""
        found = self.translations.get(language or translation.get_language() or "")
        if isinstance(found, dict):
            return str(found.get("title") or self.title), str(found.get("body", self.body))
        return self.title, self.body

    @property
    def shown_title(self) -> str:
        return self.text()[0]

    @property
    def shown_body(self) -> str:
        return self.text()[1]


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("À envoyer")
    HELD = "held", _("Retenue (heures calmes)")
    DIGEST = "digest", _("Pour le prochain résumé")
    SENDING = "sending", _("En cours d'envoi")
    SENT = "sent", _("Envoyée")
    FAILED = "failed", _("Échec")
    GONE = "gone", _("Abonnement disparu")


class Delivery(models.Model):
    """One notification for one recipient on one channel: a push to one subscription, an e-mail to
    one person (now or in a digest), or an entry in one person's inbox (`read_at` when read).

    Unique per notification, channel and recipient (person or subscription): the fan-out may run
    twice, a message goes out once.
    """

    notification = models.ForeignKey(Notification, models.CASCADE, related_name="deliveries")
    channel = models.CharField(max_length=8, choices=Channel.choices)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, models.CASCADE, null=True, blank=True, related_name="+")
    subscription = models.ForeignKey(PushSubscription, models.CASCADE, null=True, blank=True, related_name="+")
    status = models.CharField(max_length=8, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING)
    # For e-mail digests, which digest takes it; for held pushes, when to send them.
    frequency = models.CharField(max_length=10, choices=EmailFrequency.choices, blank=True)
    send_after = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)
    error = models.CharField(max_length=300, blank=True)
    # Pushes tried so far: a push service that answers "later" (429, 5xx) gets a few more tries.
    attempts = models.PositiveSmallIntegerField(default=0)
    # Which sender took it from "pending" (fanout.claim): the one that claimed it sends it, nobody else.
    claim = models.UUIDField(null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("envoi")
        verbose_name_plural = _("envois")
        constraints = [
            models.UniqueConstraint(
                fields=["notification", "channel", "user"], condition=models.Q(subscription__isnull=True),
                name="delivery_once_per_person",
            ),
            models.UniqueConstraint(
                fields=["notification", "subscription"], condition=models.Q(subscription__isnull=False),
                name="delivery_once_per_subscription",
            ),
        ]
        indexes = [
            models.Index(fields=["user", "channel", "read_at"], name="delivery_inbox"),
            models.Index(fields=["channel", "status", "frequency"], name="delivery_queue"),
        ]

    def __str__(self) -> str:
        return f"{self.notification_id} · {self.channel} · {self.user_id or self.subscription_id}"


class VapidKey(models.Model):
    """The installation's VAPID key pair for Web Push, made once at set-up (`clocher vapid`), unless
    settings give one (VAPID_PRIVATE_KEY / VAPID_PUBLIC_KEY). Only one row."""

    private_key = models.TextField()  # PEM
    public_key = models.CharField(max_length=200)  # base64url, uncompressed point, for PushManager
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("clé VAPID")
        verbose_name_plural = _("clés VAPID")

    def __str__(self) -> str:
        return self.public_key[:16]
