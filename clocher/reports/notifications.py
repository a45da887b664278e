"""What the reports announce (issue 8): a change of status or a public update on a report, to the
resident who made it when they made it with their account (topic "my reports", personal).

Who gets what, and how: a reporter with an account is told through the notifications app only (push,
inbox, and the e-mail their preferences ask for, immediate by default), never also by the direct
e-mail, which would tell them twice and ignore the preferences they set. A reporter without an
account, who only left an address, keeps the direct e-mail (services._mail_reporter).
"""

from __future__ import annotations

from collections.abc import Callable

from django.urls import reverse
from django.utils.translation import gettext as _

from clocher.notifications.announce import Announcement, announce
from clocher.notifications.models import Notification, Topic

from .models import EventKind, ReportEvent, ReportStatus


def event_key(event: ReportEvent) -> str:
    return f"reports.event:{event.pk}"


def announce_to_reporter(event: ReportEvent) -> Notification | None:
    """Announces a public event of a report (a new status, an update) to its reporter's account;
    None when there is nobody to tell that way (anonymous, or an address only) or the event is
    internal (a note, an assignment)."""
    report = event.report
    if report.reporter_id is None or not event.is_public:
        return None
    # The status this event set, not the report's current one: a later change has its own event.
    status = event.status or report.status
    values = {"pk": report.pk, "category": report.category.name, "territory": report.territory.name,
              "text": event.text}
    def status_label() -> str:
        return str(ReportStatus(status).label)

    title: Callable[[], str]
    body: Callable[[], str] | str
    if event.kind == EventKind.STATUS:
        def title() -> str:
            return _("Votre signalement n° %(pk)s : %(status)s") % {**values, "status": status_label()}

        def body() -> str:
            said = _("Votre signalement (« %(category)s ») est maintenant : %(status)s.") % {
                **values, "status": status_label()}
            if event.text:
                said += " " + _("Motif donné par %(territory)s : %(text)s") % values
            return said
    elif event.kind == EventKind.PUBLIC_UPDATE:
        def title() -> str:
            return _("Votre signalement n° %(pk)s : une information de %(territory)s") % values

        body = event.text
    else:
        return None
    return announce(Announcement(
        key=event_key(event), topic=Topic.MY_REPORTS, title=title, body=body,
        url=reverse("reports:detail", args=[report.pk]), territory=report.territory,
        recipient=report.reporter,
    ))
