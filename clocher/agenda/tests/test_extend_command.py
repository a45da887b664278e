"""The daily command that pushes recurring events' dates forward."""

import datetime

import time_machine
from django.core.management import call_command

from clocher.agenda.models import Occurrence
from clocher.agenda.services import create_event
from clocher.territories.content import Status


def test_the_command_extends_a_weekly_market_as_time_passes(bob, auch, gers_portal, capsys):
    with time_machine.travel(datetime.datetime(2026, 1, 5, 9, tzinfo=datetime.UTC), tick=False):
        event = create_event(
            bob, auch,
            {"title": "Marché du samedi", "starts_at": datetime.datetime(2026, 1, 10, 8, tzinfo=datetime.UTC),
             "ends_at": datetime.datetime(2026, 1, 10, 12, tzinfo=datetime.UTC), "rrule": "FREQ=WEEKLY;BYDAY=SA"},
            ["marche"], status=Status.PUBLISHED,
        )
        last = Occurrence.objects.filter(event=event).order_by("-starts_at").first()
        assert last is not None
    with time_machine.travel(datetime.datetime(2026, 4, 5, 9, tzinfo=datetime.UTC), tick=False):
        call_command("extend_occurrences", "--now")
    assert "prolongés : 1" in capsys.readouterr().out
    extended = Occurrence.objects.filter(event=event).order_by("-starts_at").first()
    assert extended is not None and extended.starts_at > last.starts_at + datetime.timedelta(days=80)


def test_without_now_the_work_goes_to_the_task_worker(db, capsys, settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    call_command("extend_occurrences")
    assert "confiée au worker" in capsys.readouterr().out
