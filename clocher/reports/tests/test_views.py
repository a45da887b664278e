"""The resident's report pages on the real boundaries of Auch and Marciac: the two-step form, "is it
this one?", the public page, and every refusal as a form error."""

from __future__ import annotations

import io
import re
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from PIL import Image

from clocher.reports.models import (
    EventKind,
    Report,
    ReportCategory,
    ReportEvent,
    ReportMedia,
)
from clocher.reports.services import REPORTS_PER_HOUR, submit_report
from clocher.reports.tests.geo import inside
from clocher.territories.models import Portal

NEW = "/signalements/nouveau/"
PARIS = (48.8566, 2.3522)


def _jpeg() -> bytes:
    exif = Image.Exif()
    exif[0x8825] = {1: "N", 2: (43.0, 38.0, 47.0), 3: "E", 4: (0.0, 35.0, 8.0)}
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 180, 0)).save(buffer, format="JPEG", exif=exif)
    return buffer.getvalue()


def _post(client: Client, category: ReportCategory, point: tuple[float, float], **extra: Any) -> Any:
    data: dict[str, Any] = {
        "lat": point[0], "lon": point[1], "category": category.pk, "description": "Lampadaire éteint",
        "idempotency_key": extra.pop("key", "k-1"), "address": "", "name": "", "email": "", "phone": "",
        "website": "", **extra,
    }
    return client.post(NEW, data, REMOTE_ADDR=extra.get("ip", "10.0.0.1"))


def test_the_first_step_asks_where(gers_client, bounded):
    response = gers_client.get(NEW)
    assert response.status_code == 200
    assert "Étape 1 sur 2" in response.content.decode()


def test_the_second_step_offers_the_categories_of_the_point(gers_client, auch, lighting):
    lat, lon = inside(auch.code)
    response = gers_client.get(NEW, {"lat": lat, "lon": lon})
    body = response.content.decode()
    assert "Étape 2 sur 2" in body and "Éclairage public" in body
    assert re.search(r'name="idempotency_key" value="[0-9a-f]{32}"', body)


def test_a_point_outside_the_portal_is_a_form_error(gers_client, lighting):
    response = gers_client.get(NEW, {"lat": PARIS[0], "lon": PARIS[1]})
    assert response.status_code == 200
    assert "hors du territoire" in response.content.decode()


def test_a_resident_reports_with_a_photo_and_the_file_has_no_exif(gers_client, auch, lighting):
    photo = SimpleUploadedFile("lamp.jpg", _jpeg(), content_type="image/jpeg")
    response = _post(gers_client, lighting, inside(auch.code), photos=[photo], name="Ana", email="ana@example.org",
                     phone="0600000000", consent="on")
    assert response.status_code == 302, response.content.decode()
    report = Report.objects.get()
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("reports:detail", kwargs={"pk": report.pk}))
    stored = ReportMedia.objects.get(report=report)
    with stored.file.open("rb") as handle:
        image = Image.open(handle)
        assert not image.getexif()
    assert report.reporter_email == "ana@example.org"


def test_the_same_idempotency_key_twice_makes_one_report(gers_client, auch, lighting):
    _post(gers_client, lighting, inside(auch.code), key="same")
    _post(gers_client, lighting, inside(auch.code), key="same")
    assert Report.objects.count() == 1


@pytest.mark.parametrize("after_insert", ["unseen", "spoilt"])
def test_a_copy_that_loses_the_race_on_its_key_is_sent_to_the_first_report(
    gers_client, auch, lighting, monkeypatch, after_insert
):
    # The page and the service worker send one kept report at once: the loser's look-up ran before
    # the winner committed, so its insert meets the unique key; inside the view's transaction,
    # SQLite then either cannot see the winner's row or refuses any query.
    from django.db import transaction

    from clocher.reports import services

    first = _post(gers_client, lighting, inside(auch.code), key="race")
    real = services._existing
    answers: list[Any] = [None, None if after_insert == "unseen" else transaction.TransactionManagementError()]

    def existing(key: str) -> Any:
        if key == "race" and answers:
            answer = answers.pop(0)
            if isinstance(answer, Exception):
                raise answer
            return answer
        return real(key)

    monkeypatch.setattr(services, "_existing", existing)
    second = _post(gers_client, lighting, inside(auch.code), key="race")
    assert second.status_code == 302 and second["Location"] == first["Location"]
    assert Report.objects.count() == 1


def test_a_copy_whose_transaction_sqlite_gave_up_is_sent_to_the_first_report(gers_client, auch, lighting, monkeypatch):
    # Under the winner's write lock, SQLite may roll the loser's whole transaction back: its
    # savepoint is gone ("no such savepoint") by the time the insert would be kept.
    from django.db import OperationalError

    from clocher.reports import services

    first = _post(gers_client, lighting, inside(auch.code), key="race")

    def given_up(**_kwargs: Any) -> Any:
        raise OperationalError("no such savepoint: s1_x1")

    monkeypatch.setattr(services, "submit_report", given_up)
    second = _post(gers_client, lighting, inside(auch.code), key="race")
    assert second.status_code == 302 and second["Location"] == first["Location"]
    assert Report.objects.count() == 1


def test_a_filled_honeypot_saves_nothing(gers_client, auch, lighting):
    response = _post(gers_client, lighting, inside(auch.code), website="http://spam.example")
    assert response.status_code == 200
    assert not Report.objects.exists()


def test_the_eleventh_report_in_an_hour_is_refused(gers_client, auch, lighting):
    for n in range(REPORTS_PER_HOUR):
        assert _post(gers_client, lighting, inside(auch.code), key=f"k{n}").status_code == 302
    response = _post(gers_client, lighting, inside(auch.code), key="one-more")
    assert response.status_code == 200
    assert "réessayez dans une heure" in response.content.decode()
    assert Report.objects.count() == REPORTS_PER_HOUR


def test_a_file_that_is_not_an_image_is_a_form_error(gers_client, auch, lighting):
    fake = SimpleUploadedFile("lamp.jpg", b"not an image at all", content_type="image/jpeg")
    response = _post(gers_client, lighting, inside(auch.code), photos=[fake])
    assert response.status_code == 200
    assert not Report.objects.exists()


def test_six_photos_are_refused(gers_client, auch, lighting):
    photos = [SimpleUploadedFile(f"p{n}.jpg", _jpeg(), content_type="image/jpeg") for n in range(6)]
    response = _post(gers_client, lighting, inside(auch.code), photos=photos)
    assert response.status_code == 200
    assert not Report.objects.exists()


def test_a_video_that_is_not_one_is_a_form_error(gers_client, auch, lighting):
    fake = SimpleUploadedFile("clip.mp4", b"plain text pretending", content_type="video/mp4")
    response = _post(gers_client, lighting, inside(auch.code), video=fake)
    assert response.status_code == 200
    assert not Report.objects.exists()


def test_contact_details_without_consent_are_a_form_error(gers_client, auch, lighting):
    response = _post(gers_client, lighting, inside(auch.code), email="ana@example.org")
    assert response.status_code == 200
    assert not Report.objects.exists()


def test_a_point_outside_the_portal_on_submit_is_a_form_error(gers_client, lighting):
    response = _post(gers_client, lighting, PARIS)
    assert response.status_code == 200
    assert not Report.objects.exists()


def _report(portal: Portal, category: ReportCategory, point: tuple[float, float], **extra: Any) -> Report:
    report, _created = submit_report(portal=portal, category=category, lat=point[0], lon=point[1],
                                     description="Lampadaire éteint", **extra)
    return report


def test_the_public_page_never_shows_the_reporters_details(gers_client, gers_portal, auch, lighting):
    report = _report(gers_portal, lighting, inside(auch.code), name="Anastasia Secret",
                     email="anastasia@example.org", phone="0611223344", consent=True)
    body = gers_client.get(reverse("reports:detail", kwargs={"pk": report.pk})).content.decode()
    assert "Éclairage public" in body and auch.name in body
    for secret in ("Anastasia", "anastasia@example.org", "0611223344", "06 11 22 33 44"):
        assert secret not in body


def test_the_public_timeline_hides_internal_events(gers_client, gers_portal, auch, lighting):
    report = _report(gers_portal, lighting, inside(auch.code))
    ReportEvent.objects.create(report=report, kind=EventKind.NOTE, is_public=False, text="Note interne xyz")
    ReportEvent.objects.create(report=report, kind=EventKind.PUBLIC_UPDATE, is_public=True, text="Équipe passée")
    body = gers_client.get(reverse("reports:detail", kwargs={"pk": report.pk})).content.decode()
    assert "Équipe passée" in body and "Note interne xyz" not in body


def test_another_portals_report_is_a_404(orne_client, gers_portal, auch, lighting):
    report = _report(gers_portal, lighting, inside(auch.code))
    assert orne_client.get(reverse("reports:detail", kwargs={"pk": report.pk})).status_code == 404
    assert orne_client.post(reverse("reports:support", kwargs={"pk": report.pk})).status_code == 404
    assert orne_client.get(reverse("reports:home", kwargs={"code": auch.code})).status_code == 404


def test_a_commune_list_is_filtered_by_status(gers_client, gers_portal, auch, lighting):
    _report(gers_portal, lighting, inside(auch.code))
    url = reverse("reports:home", kwargs={"code": auch.code})
    assert "Éclairage public" in gers_client.get(url).content.decode()
    assert "Aucun signalement" in gers_client.get(url, {"status": "resolved"}).content.decode()


def test_the_commune_list_costs_the_same_queries_for_one_or_many(
    gers_client, gers_portal, auch, lighting, django_assert_max_num_queries
):
    url = reverse("reports:home", kwargs={"code": auch.code})
    _report(gers_portal, lighting, inside(auch.code))
    gers_client.get(url)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as one:
        gers_client.get(url)
    for _n in range(5):
        _report(gers_portal, lighting, inside(auch.code))
    with django_assert_max_num_queries(len(one.captured_queries)):
        gers_client.get(url)


def test_is_it_this_one_offers_to_support_a_nearby_report(gers_client, gers_portal, auch, lighting):
    point = inside(auch.code)
    report = _report(gers_portal, lighting, point)
    body = gers_client.get(NEW, {"lat": point[0], "lon": point[1], "category": lighting.pk}).content.decode()
    assert "Est-ce celui-ci ?" in body and "Je signale la même chose" in body
    response = gers_client.post(reverse("reports:support", kwargs={"pk": report.pk}), REMOTE_ADDR="10.0.0.9")
    assert response.status_code == 302
    report.refresh_from_db()
    assert report.supporters == 1
    gers_client.post(reverse("reports:support", kwargs={"pk": report.pk}), REMOTE_ADDR="10.0.0.9")
    report.refresh_from_db()
    assert report.supporters == 1


def test_the_point_is_carried_with_a_decimal_point_not_a_french_comma(gers_client, auch, lighting):
    lat, lon = inside(auch.code)
    body = gers_client.get(NEW, {"lat": lat, "lon": lon}).content.decode()
    assert f'name="lat" value="{lat}"' in body
    assert "," not in re.search(r'name="lat" value="([^"]*)"', body).group(1)  # type: ignore[union-attr]


def test_changing_the_place_goes_back_to_the_first_step_with_the_point(gers_client, auch, lighting):
    lat, lon = inside(auch.code)
    body = gers_client.get(NEW, {"lat": lat, "lon": lon, "step": "1"}).content.decode()
    assert "Étape 1 sur 2" in body and str(lat) in body


def test_checking_nearby_reports_keeps_the_typed_address(gers_client, auch, lighting):
    lat, lon = inside(auch.code)
    body = gers_client.get(NEW, {"lat": lat, "lon": lon, "address": "Rue Gambetta"}).content.decode()
    assert body.count('value="Rue Gambetta"') == 2  # the check form and the report form


def test_a_commune_that_switched_reports_off_has_no_reports_page(gers_client, auch, lighting):
    from clocher.territories.models import ModuleSetting

    ModuleSetting.objects.create(territory=auch, module="reports", enabled=False)
    assert gers_client.get(reverse("reports:home", kwargs={"code": auch.code})).status_code == 404


def test_the_account_is_limited_too_whatever_its_address(gers_client, auch, lighting, resident):
    from clocher.reports.services import count_report

    for _n in range(REPORTS_PER_HOUR):
        count_report(f"user:{resident.pk}")
    gers_client.force_login(resident)
    response = _post(gers_client, lighting, inside(auch.code), ip="10.9.9.9")
    assert "réessayez dans une heure" in response.content.decode()
    assert not Report.objects.exists()


# The commune's map and its GeoJSON

def _geojson(client: Client, code: str, **params: Any) -> Any:
    return client.get(reverse("reports:geojson", kwargs={"code": code}), params)


def test_the_geojson_carries_public_fields_only(gers_client, gers_portal, auch, lighting, resident):
    report = _report(gers_portal, lighting, inside(auch.code), name="Anastasia Secret", email="anastasia@example.org",
                     phone="0611223344", consent=True, idempotency_key="cle-secrete-123")
    Report.objects.filter(pk=report.pk).update(assignee=resident)
    response = _geojson(gers_client, auch.code)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/geo+json")
    body = response.content.decode()
    collection = response.json()
    assert collection["type"] == "FeatureCollection" and collection["truncated"] is False
    (feature,) = collection["features"]
    assert feature["geometry"]["type"] == "Point"
    lon, lat = feature["geometry"]["coordinates"]
    assert (round(report.lat, 5), round(report.lon, 5)) == (lat, lon)
    assert set(feature["properties"]) == {"id", "url", "category", "category_code", "status", "status_label",
                                          "supporters", "created_at"}
    assert feature["properties"]["url"] == f"http://gers.test/signalements/{report.pk}/"
    assert feature["properties"]["status_label"] == "Nouveau"
    report.refresh_from_db()
    for secret in ("Anastasia", "anastasia@example.org", "0611223344", "cle-secrete-123", report.token,
                   resident.email):
        assert secret not in body


def test_the_geojson_follows_the_status_and_category_filters(gers_client, gers_portal, auch, lighting, waste):
    point = inside(auch.code)
    light = _report(gers_portal, lighting, point)
    rubbish = _report(gers_portal, waste, point)
    Report.objects.filter(pk=rubbish.pk).update(status="resolved")

    def ids(**params: Any) -> set[int]:
        return {f["id"] for f in _geojson(gers_client, auch.code, **params).json()["features"]}

    assert ids() == {light.pk, rubbish.pk}
    assert ids(status="open") == {light.pk}
    assert ids(status="closed") == {rubbish.pk}
    assert ids(status="resolved") == {rubbish.pk}
    assert ids(category=waste.pk) == {rubbish.pk}
    assert ids(category=waste.pk, status="new") == set()


def test_a_wrong_filter_on_the_geojson_is_a_400_that_says_why(gers_client, auch, bounded):
    response = _geojson(gers_client, auch.code, status="lost")
    assert response.status_code == 400 and "open, closed" in response.json()["error"]
    assert _geojson(gers_client, auch.code, category="lights").status_code == 400
    assert _geojson(gers_client, auch.code, category="99999999999999999999").status_code == 400


def test_the_geojson_is_capped_and_says_so(gers_client, gers_portal, auch, lighting, monkeypatch):
    from clocher.reports import views

    monkeypatch.setattr(views, "MAP_LIMIT", 2)
    made = [_report(gers_portal, lighting, inside(auch.code)) for _n in range(3)]
    response = _geojson(gers_client, auch.code)
    assert response["X-Markers-Truncated"] == "1"
    collection = response.json()
    assert collection["truncated"] is True
    assert [f["id"] for f in collection["features"]] == [made[2].pk, made[1].pk]  # the newest
    made[0].delete()
    assert "X-Markers-Truncated" not in _geojson(gers_client, auch.code)


def test_the_geojson_costs_the_same_queries_for_one_or_many(
    gers_client, gers_portal, auch, lighting, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    _report(gers_portal, lighting, inside(auch.code))
    with CaptureQueriesContext(connection) as one:
        _geojson(gers_client, auch.code)
    for _n in range(10):
        _report(gers_portal, lighting, inside(auch.code))
    with django_assert_max_num_queries(len(one.captured_queries)):
        assert len(_geojson(gers_client, auch.code).json()["features"]) == 11


def test_another_portals_commune_or_a_commune_without_reports_has_no_geojson(
    gers_client, orne_client, gers_portal, auch, lighting
):
    from clocher.territories.models import ModuleSetting

    _report(gers_portal, lighting, inside(auch.code))
    assert _geojson(orne_client, auch.code).status_code == 404
    assert _geojson(gers_client, "99999").status_code == 404
    ModuleSetting.objects.create(territory=auch, module="reports", enabled=False)
    assert _geojson(gers_client, auch.code).status_code == 404


def test_the_commune_page_filters_list_and_map_by_category(gers_client, gers_portal, auch, lighting, waste):
    _report(gers_portal, lighting, inside(auch.code))
    _report(gers_portal, waste, inside(auch.code))
    url = reverse("reports:home", kwargs={"code": auch.code})
    response = gers_client.get(url, {"category": waste.pk, "status": "open"})
    body = response.content.decode()
    assert [r.category_id for r in response.context["reports"]] == [waste.pk]
    assert f'data-geojson-url="/communes/{auch.code}/signalements.geojson?status=open&amp;category={waste.pk}"' in body
    assert f'<option value="{waste.pk}" selected>' in body
    # A category of no report here, or not a number, is no filter at all.
    assert len(gers_client.get(url, {"category": "x"}).context["reports"]) == 2
    assert len(gers_client.get(url, {"category": 999999}).context["reports"]) == 2


def test_the_commune_list_is_paginated(gers_client, gers_portal, auch, lighting, monkeypatch):
    from clocher.reports import views

    monkeypatch.setattr(views, "LIST_PAGE_SIZE", 2)
    for _n in range(3):
        _report(gers_portal, lighting, inside(auch.code))
    url = reverse("reports:home", kwargs={"code": auch.code})
    assert len(gers_client.get(url).context["reports"]) == 2
    second = gers_client.get(url, {"page": 2})
    assert len(second.context["reports"]) == 1
    assert "Page 2 sur 2" in second.content.decode()


# The module switched off

def _switch_off(*communes: Any) -> None:
    from clocher.territories.models import ModuleSetting

    for commune in communes:
        ModuleSetting.objects.create(territory=commune, module="reports", enabled=False)


def test_a_report_in_a_commune_that_switched_reports_off_is_a_404(gers_client, gers_portal, auch, lighting):
    report = _report(gers_portal, lighting, inside(auch.code))
    _switch_off(auch)
    assert gers_client.get(reverse("reports:detail", kwargs={"pk": report.pk})).status_code == 404
    assert gers_client.post(reverse("reports:support", kwargs={"pk": report.pk})).status_code == 404
    report.refresh_from_db()
    assert report.supporters == 0


def test_the_form_refuses_a_point_in_a_commune_that_switched_reports_off(gers_client, auch, marciac, lighting):
    _switch_off(auch)
    assert gers_client.get(NEW).status_code == 200  # Marciac still takes reports
    lat, lon = inside(auch.code)
    response = gers_client.get(NEW, {"lat": lat, "lon": lon})
    assert response.status_code == 200
    body = response.content.decode()
    assert "Étape 1 sur 2" in body and "Auch ne reçoit pas de signalements par ce service" in body
    response = _post(gers_client, lighting, (lat, lon))
    assert response.status_code == 200
    assert "Auch ne reçoit pas de signalements" in response.content.decode()
    assert not Report.objects.exists()
    lat, lon = inside(marciac.code)
    assert "Étape 2 sur 2" in gers_client.get(NEW, {"lat": lat, "lon": lon}).content.decode()


def test_the_form_is_a_404_where_no_commune_of_the_portal_takes_reports(gers_client, gers_portal, auch, lighting):
    gers_portal.default_modules = ["news"]
    gers_portal.save()
    lat, lon = inside(auch.code)
    assert gers_client.get(NEW).status_code == 404
    assert _post(gers_client, lighting, (lat, lon)).status_code == 404
    # A commune that chose reports against the portal's defaults opens the form again.
    from clocher.territories.models import ModuleSetting

    ModuleSetting.objects.create(territory=auch, module="reports", enabled=True)
    assert _post(gers_client, lighting, (lat, lon)).status_code == 302


# "Je signale la même chose"

def _support(client: Client, report: Report, ip: str) -> Any:
    return client.post(reverse("reports:support", kwargs={"pk": report.pk}), REMOTE_ADDR=ip, follow=True)


def test_an_address_supports_a_report_once_and_another_address_counts(gers_client, gers_portal, auch, lighting):
    report = _report(gers_portal, lighting, inside(auch.code))
    _support(gers_client, report, "10.0.0.9")
    _support(gers_client, report, "10.0.0.9")
    _support(gers_client, report, "10.0.0.10")
    report.refresh_from_db()
    assert report.supporters == 2


def test_an_ipv6_connection_counts_as_one_address(gers_client, gers_portal, auch, lighting):
    report = _report(gers_portal, lighting, inside(auch.code))
    _support(gers_client, report, "2001:db8:1:2::1")
    response = _support(gers_client, report, "2001:db8:1:2:ffff::42")
    assert "Vous aviez déjà signalé la même chose" in response.content.decode()
    _support(gers_client, report, "2001:db8:1:3::1")
    report.refresh_from_db()
    assert report.supporters == 2


def test_one_address_cannot_support_every_report(gers_client, gers_portal, auch, lighting):
    from clocher.reports.views import SUPPORTS_PER_HOUR

    reports = [_report(gers_portal, lighting, inside(auch.code)) for _n in range(SUPPORTS_PER_HOUR + 1)]
    for report in reports[:-1]:
        _support(gers_client, report, "10.0.0.9")
    response = _support(gers_client, reports[-1], "10.0.0.9")
    assert "réessayez dans une heure" in response.content.decode()
    assert [r.supporters for r in Report.objects.order_by("pk")] == [1] * SUPPORTS_PER_HOUR + [0]
    # Another address is not held back.
    _support(gers_client, reports[-1], "10.0.0.10")
    assert Report.objects.get(pk=reports[-1].pk).supporters == 1


def test_a_repeated_support_does_not_use_up_the_hour(gers_client, gers_portal, auch, lighting):
    from clocher.reports.views import SUPPORTS_PER_HOUR

    first, second = _report(gers_portal, lighting, inside(auch.code)), _report(gers_portal, lighting, inside(auch.code))
    for _n in range(SUPPORTS_PER_HOUR + 1):
        _support(gers_client, first, "10.0.0.9")
    _support(gers_client, second, "10.0.0.9")
    assert Report.objects.get(pk=second.pk).supporters == 1


def test_behind_the_proxy_each_resident_is_their_own_address(gers_client, gers_portal, auch, lighting, settings):
    # BEHIND_PROXY: every request comes from the proxy; the client is the last X-Forwarded-For hop.
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    report = _report(gers_portal, lighting, inside(auch.code))
    url = reverse("reports:support", kwargs={"pk": report.pk})
    for client_address in ("203.0.113.7", "203.0.113.8", "203.0.113.8"):
        gers_client.post(url, REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR=f"198.51.100.1, {client_address}")
    report.refresh_from_db()
    assert report.supporters == 2
