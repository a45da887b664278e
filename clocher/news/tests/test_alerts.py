"""Alerts: raised by editors for at most 30 days, scheduled when they start later, ended at once, and
announced by one task where push and e-mail will plug in."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.utils import timezone

from clocher.news import services, tasks
from clocher.news.models import Alert
from clocher.news.selectors import current_alerts
from clocher.news.services import NewsRejected
from clocher.territories.content import Status
from clocher.territories.models import AuditEntry
from clocher.territories.selectors import ancestors

from .conftest import alert

pytestmark = pytest.mark.django_db


def test_an_alert_shows_for_the_commune_and_not_for_its_sibling(bob, auch, marciac):
    raised = alert(bob, auch)
    assert raised.status == Status.PUBLISHED
    assert list(current_alerts(ancestors(auch))) == [raised]
    assert list(current_alerts(ancestors(marciac))) == []
    assert AuditEntry.objects.filter(action="news.alert.raise").exists()


def test_a_departement_alert_reaches_every_commune_or_only_its_audience(dora, gers, auch, marciac):
    everyone = alert(dora, gers, "Tempête", severity="danger")
    only_marciac = alert(dora, gers, "Route coupée", audience=[marciac])
    assert list(current_alerts(ancestors(auch))) == [everyone]
    assert set(current_alerts(ancestors(marciac))) == {everyone, only_marciac}


def test_the_most_severe_comes_first(dora, gers, auch):
    info = alert(dora, gers, "Info", severity="info")
    danger = alert(dora, gers, "Danger", severity="danger")
    warning = alert(dora, gers, "Vigilance", severity="warning")
    assert list(current_alerts(ancestors(auch))) == [danger, warning, info]


def test_a_future_start_schedules_the_alert(bob, auch):
    start = timezone.now() + datetime.timedelta(hours=3)
    raised = alert(bob, auch, starts_at=start, ends_at=start + datetime.timedelta(hours=2))
    assert raised.status == Status.SCHEDULED
    assert not current_alerts(ancestors(auch)).exists()
    with time_machine.travel(start + datetime.timedelta(minutes=1)):
        assert current_alerts(ancestors(auch)).exists()
    with time_machine.travel(start + datetime.timedelta(hours=3)):
        assert not current_alerts(ancestors(auch)).exists()


@pytest.mark.parametrize("kwargs, field", [
    ({"ends_at": None}, "ends_at"),
    ({"ends_at": "past"}, "ends_at"),
    ({"ends_at": "31 days"}, "ends_at"),
    ({"severity": "apocalypse"}, "severity"),
    ({"starts_at": "yesterday"}, "starts_at"),
    ({"link": "javascript:alert(1)"}, "link"),
])
def test_bad_alerts_are_refused(bob, auch, kwargs, field):
    now = timezone.now()
    values = {"past": now - datetime.timedelta(hours=1), "31 days": now + datetime.timedelta(days=31),
              "yesterday": now - datetime.timedelta(days=1)}
    kwargs = {key: values.get(value, value) if isinstance(value, str) else value for key, value in kwargs.items()}
    if kwargs.get("severity") == "apocalypse":
        kwargs["severity"] = "apocalypse"
    with pytest.raises(NewsRejected) as refused:
        alert(bob, auch, **kwargs)
    assert refused.value.field == field
    assert not Alert.objects.exists()


def test_an_empty_title_and_a_sibling_audience_are_refused(bob, auch, marciac):
    with pytest.raises(NewsRejected):
        alert(bob, auch, "   ")
    with pytest.raises(NewsRejected):
        alert(bob, auch, audience=[marciac])


def test_a_moderator_or_a_resident_cannot_raise_alerts(mona, resident, auch):
    for person in (mona, resident):
        with pytest.raises(NewsRejected):
            alert(person, auch)


def test_ending_an_alert_removes_it_at_once_and_twice_is_refused(bob, auch):
    raised = alert(bob, auch)
    services.end_alert(bob, raised)
    assert not current_alerts(ancestors(auch)).exists()
    with pytest.raises(NewsRejected):
        services.end_alert(bob, raised)
    assert AuditEntry.objects.filter(action="news.alert.end").count() == 1


def test_raising_an_alert_announces_it_after_the_commit(bob, auch, django_capture_on_commit_callbacks, monkeypatch):
    announced = []
    monkeypatch.setattr(tasks, "schedule_announcement", lambda found: announced.append(found.pk))
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        raised = alert(bob, auch)
    assert announced == []
    for callback in callbacks:
        callback()
    assert announced == [raised.pk]


def test_the_announcement_task_says_what_it_announced_and_skips_what_is_over(bob, auch, marciac, dora, gers):
    raised = alert(dora, gers, "Tempête", audience=[marciac])
    result = tasks.announce_alert.call(raised.pk)
    assert result == {"alert": raised.pk, "announced": True, "severity": "warning", "territories": [marciac.code]}
    services.end_alert(dora, raised)
    assert tasks.announce_alert.call(raised.pk)["reason"] == "over"
    assert tasks.announce_alert.call(0)["reason"] == "missing"


def test_the_announcement_runs_through_the_task_backend(bob, auch, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        alert(bob, auch)
    # The immediate backend ran it: nothing raised, and the alert is still there.
    assert Alert.objects.count() == 1
