"""Background work of notifications: the fan-out of one notification, then its sending in batches.

`announce` enqueues `fan_out_task` after the commit; it plans the deliveries (fanout.plan), then
sends the pushes and immediate e-mails it can claim. Running it again (a retry, a second worker)
plans nothing new and sends only what is still pending.
"""

from __future__ import annotations

from typing import Any

from django_tasks import task

from . import fanout, sending
from .models import Notification


@task()
def fan_out_task(notification_id: int) -> dict[str, Any]:
    notification = Notification.objects.filter(pk=notification_id).select_related("territory").first()
    if notification is None:
        return {"notification": notification_id, "planned": 0, "reason": "missing"}
    planned = fanout.plan(notification)
    sent = sending.send_pending(notification)
    return {"notification": notification_id, "planned": planned, **sent}
