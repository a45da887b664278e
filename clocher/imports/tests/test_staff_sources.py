"""The staff page of sources: editors and admins list, add (URL checked), synchronise now, switch
off and on, and delete their territory's sources; other roles and residents get nothing."""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from clocher.imports.models import ImportRun, ImportSource, RunOutcome, SourceKind
from clocher.territories.models import AuditEntry, Role, Territory
from conftest import GERS_HOST, grant, make_user

pytestmark = pytest.mark.usefixtures("public_internet", "gers_portal")


def client_for(user: Any) -> Client:
    client = Client(HTTP_HOST=GERS_HOST)
    client.force_login(user)
    return client


def url(name: str, territory: Territory, **extra: Any) -> str:
    return reverse(f"backoffice:{name}", kwargs={"territory_id": territory.pk, **extra})


def form(**changes: Any) -> dict[str, Any]:
    return {
        "name": "Agenda de l'office de tourisme", "kind": SourceKind.ICS,
        "url": "https://tourisme.example.org/agenda.ics", "interval_hours": "12", "organisation": "",
        **changes,
    }


@pytest.fixture
def source(auch: Territory) -> ImportSource:
    return ImportSource.objects.create(
        territory=auch, kind=SourceKind.OPENAGENDA, name="OpenAgenda d'Auch",
        url="https://api.openagenda.example.org/v2/agendas/1/events",
    )


@pytest.fixture(autouse=True)
def immediate_tasks(settings: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    body = b'{"total": 1, "after": null, "events": [{"uid": 1, "title": "Bal", "timings": [{"begin": "2025-06-14T20:30:00+02:00", "end": "2025-06-14T23:00:00+02:00"}]}]}'
    monkeypatch.setattr("clocher.imports.services.safe_fetch", lambda url: body)


def test_an_editor_sees_the_sources_with_their_last_run_and_rejections(
    bob: Any, auch: Territory, source: ImportSource, django_assert_max_num_queries: Any
) -> None:
    ImportRun.objects.create(
        source=source, started_at="2025-06-01T10:00:00Z", outcome=RunOutcome.OK, created=3, unchanged=2,
        rejected=1, rejections=[["uid 9", "aucune date (timings) lisible"]],
    )
    for n in range(5):
        other = ImportSource.objects.create(territory=auch, kind=SourceKind.ICS, url=f"https://x.example.org/{n}.ics")
        ImportRun.objects.create(source=other, started_at="2025-06-01T10:00:00Z", outcome=RunOutcome.FAILED,
                                 error="Le serveur a répondu 503.")
    client = client_for(bob)
    client.get(url("sources", auch))  # warm the session and the portal cache

    with django_assert_max_num_queries(14):
        response = client.get(url("sources", auch))

    page = response.content.decode()
    assert response.status_code == 200
    assert "OpenAgenda d&#x27;Auch" in page
    assert "3 créés, 0 mis à jour, 2 inchangés, 1 rejetés, 0 retirés" in page
    assert "uid 9 : aucune date (timings) lisible" in page
    assert page.count("Le serveur a répondu 503.") == 5


def test_an_editor_adds_a_source_and_its_first_sync_runs(bob: Any, auch: Territory, django_capture_on_commit_callbacks: Any) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(bob).post(url("sources", auch), form(kind=SourceKind.OPENAGENDA))

    assert response.status_code == 302
    source = ImportSource.objects.get(territory=auch)
    assert (source.interval_hours, source.created_by) == (12, bob)
    run = source.runs.get()
    assert (run.outcome, run.created) == (RunOutcome.OK, 1)


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"url": "http://intranet.example.org/agenda.ics"}, "url", "réseau privé ou local"),
        ({"url": "http://127.0.0.1:8000/admin/"}, "url", "réseau privé ou local"),
        ({"url": "http://[::1]/"}, "url", "réseau privé ou local"),
        ({"url": "ftp://tourisme.example.org/a.ics"}, "url", "http:// et https://"),
        ({"url": ""}, "url", "obligatoire"),
        ({"kind": "rss"}, "kind", "choix"),
        ({"interval_hours": "0"}, "interval_hours", "1"),
        ({"interval_hours": "1000"}, "interval_hours", "168"),
    ],
)
def test_a_bad_source_is_a_form_error_on_its_field(
    bob: Any, auch: Territory, changes: dict[str, Any], field: str, message: str
) -> None:
    response = client_for(bob).post(url("sources", auch), form(**changes))

    assert response.status_code == 400
    assert message in " ".join(response.context["form"].errors[field])
    assert f'id="id_{field}_error"' in response.content.decode()
    assert not ImportSource.objects.exists()


def test_sync_now_disable_enable_and_delete(bob: Any, auch: Territory, source: ImportSource, django_capture_on_commit_callbacks: Any) -> None:
    client = client_for(bob)

    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(url("source_sync", auch, source_id=source.pk)).status_code == 302
    assert source.runs.get().created == 1
    assert client.post(url("source_disable", auch, source_id=source.pk)).status_code == 302
    source.refresh_from_db()
    assert source.enabled is False
    response = client.post(url("source_sync", auch, source_id=source.pk), follow=True)
    assert "désactivée" in response.content.decode()
    assert client.post(url("source_enable", auch, source_id=source.pk)).status_code == 302
    assert client.get(url("source_delete", auch, source_id=source.pk)).status_code == 200
    assert client.post(url("source_delete", auch, source_id=source.pk)).status_code == 302

    assert not ImportSource.objects.exists()
    actions = list(AuditEntry.objects.filter(territory=auch, action__startswith="imports.").values_list("action", flat=True))
    assert sorted(actions) == sorted([
        "imports.source.sync", "imports.source.disable", "imports.source.enable", "imports.source.delete",
    ])


def test_actions_answer_post_only(bob: Any, auch: Territory, source: ImportSource) -> None:
    for name in ("source_sync", "source_disable", "source_enable"):
        assert client_for(bob).get(url(name, auch, source_id=source.pk)).status_code == 405


def test_the_detail_page_lists_recent_runs(alice: Any, auch: Territory, source: ImportSource) -> None:
    ImportRun.objects.create(source=source, started_at="2025-06-01T10:00:00Z", outcome=RunOutcome.FAILED,
                             error="Le nom tourisme.example.org est introuvable.")

    response = client_for(alice).get(url("source", auch, source_id=source.pk))

    assert response.status_code == 200
    assert "est introuvable" in response.content.decode()


@pytest.mark.parametrize("role", [Role.MODERATOR, Role.AGENT, Role.CONTROLLER])
def test_other_roles_of_the_territory_get_a_404(role: str, auch: Territory, source: ImportSource) -> None:
    user = make_user(f"{role}@example.org")
    grant(user, auch, role)
    client = client_for(user)

    assert client.get(url("sources", auch)).status_code == 404
    assert client.post(url("source_delete", auch, source_id=source.pk)).status_code == 404
    assert ImportSource.objects.filter(pk=source.pk).exists()


def test_a_resident_is_sent_nowhere_and_a_visitor_to_sign_in(resident: Any, auch: Territory) -> None:
    assert client_for(resident).get(url("sources", auch)).status_code == 404
    response = Client(HTTP_HOST=GERS_HOST).get(url("sources", auch))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse(settings.LOGIN_URL))


def test_a_superuser_reads_sources_and_runs_in_the_django_admin(db: None, source: ImportSource) -> None:
    from clocher.accounts.models import User

    from .conftest import with_totp

    ImportRun.objects.create(source=source, started_at="2025-06-01T10:00:00Z", outcome=RunOutcome.FAILED, error="503")
    root = with_totp(User.objects.create_superuser(email="root@example.org", password="x-long-password"))
    client = client_for(root)

    assert client.get(reverse("admin:imports_importsource_changelist")).status_code == 200
    assert client.get(reverse("admin:imports_importsource_change", args=[source.pk])).status_code == 200
    assert client.get(reverse("admin:imports_importrun_changelist")).status_code == 200
    assert client.get(reverse("admin:imports_importsource_add")).status_code == 403
