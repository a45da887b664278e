"""Background work of the news: announcing an alert when it starts.

`services.raise_alert` schedules `announce_alert` after its commit (through `schedule_announcement`),
deferred to the alert's start when the task backend can defer. This is the one place where sending
alerts to phones and mailboxes plugs in (the notifications issue).
"""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from django_tasks import task

from clocher.territories.content import visible_now

from .models import Alert


@task()
def announce_alert(alert_id: int) -> dict[str, Any]:
    """Announces a started alert to the residents it concerns.

    Web push and e-mail fan-out plug in here when the notifications module exists: it will be
    given the alert and the territories below (the publisher, or its audience, and everything part
    of them) and will reach the subscribers of those communes. Until then, the only announcement is
    the banner: the home page reads current alerts on every request, and anonymous home pages are
    cached for 15 seconds (territories.views), so a new alert shows everywhere within 15 seconds
    with no cache to drop here, which is acceptable for a banner.

    Returns what was (or would be) announced, or why nothing was: the alert is gone, over, or has
    not started (a backend that cannot defer runs this at once; the banner still shows at the start).
    """
    alert = Alert.objects.filter(pk=alert_id).select_related("territory").first()
    if alert is None:
        return {"alert": alert_id, "announced": False, "reason": "missing"}
    if not visible_now(Alert.objects.filter(pk=alert.pk)).exists():
        reason = "over" if alert.expires_at is not None and alert.expires_at <= timezone.now() else "not_started"
        return {"alert": alert_id, "announced": False, "reason": reason}
    audience = list(alert.audience.values_list("code", flat=True)) or [alert.territory.code]
    return {"alert": alert_id, "announced": True, "severity": alert.severity, "territories": audience}


def schedule_announcement(alert: Alert) -> None:
    """Enqueues announce_alert for the alert's start (at once when it started or the backend
    cannot defer)."""
    start = alert.published_at
    if start is not None and start > timezone.now() and announce_alert.get_backend().supports_defer:
        announce_alert.using(run_after=start).enqueue(alert.pk)
    else:
        announce_alert.enqueue(alert.pk)
