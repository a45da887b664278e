"""Open311 GeoReport v2: responses valid against the published schemas, XML that parses, errors in
the standard shape, a POST routed like the web form, idempotency, another portal's request a 404."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import urlencode
from xml.etree import ElementTree as ET

import jsonschema  # type: ignore[import-untyped]
import pytest
from django.test import Client
from referencing import Registry
from referencing.jsonschema import DRAFT4

from clocher.reports.models import Open311Client, Report, ReportCategory, hash_api_key
from clocher.reports.services import REPORTS_PER_HOUR
from clocher.reports.tests.geo import inside
from clocher.reports.tests.test_views import _report
from clocher.territories.geography import shared_data_dir

API = "/open311/v2/"


def _schemas() -> Path:
    return shared_data_dir() / "open311-georeport-v2-schemas"


def _validate(body: Any, name: str) -> None:
    resources = [
        (f, DRAFT4.create_resource(json.loads((_schemas() / f).read_text())))
        for f in ("request.json", "requests.json", "service.json", "services.json", "service-definition.json")
    ]
    registry: Registry[Any] = Registry().with_resources(resources)
    schema = json.loads((_schemas() / name).read_text())
    jsonschema.Draft4Validator(schema, registry=registry).validate(body)


def _xml(content: bytes) -> ET.Element:
    # Our own response, in a test: the brief asks for xml.etree.
    return ET.fromstring(content)  # noqa: S314


def _is_error(response: Any, status: int) -> None:
    assert response.status_code == status
    body = response.json()
    assert isinstance(body, list) and body[0]["code"] == status and body[0]["description"]


def test_services_list_the_portal_categories_and_validate(gers_client, auch, lighting):
    response = gers_client.get(API + "services.json")
    assert response.status_code == 200
    body = response.json()
    _validate(body, "services.json")
    assert body[0]["service_code"] == f"{auch.code}-eclairage-public"
    assert body[0]["group"] == auch.name
    _xml(gers_client.get(API + "services.xml").content)


def test_a_service_definition_has_no_attributes(gers_client, auch, lighting):
    response = gers_client.get(API + f"services/{auch.code}-eclairage-public.json")
    assert response.json()["attributes"] == []
    _xml(gers_client.get(API + f"services/{auch.code}-eclairage-public.xml").content)
    _is_error(gers_client.get(API + "services/nope.json"), 404)


def test_discovery_answers_in_both_formats(gers_client):
    assert gers_client.get(API + "discovery.json").json()["endpoints"]
    _xml(gers_client.get(API + "discovery.xml").content)


def test_a_post_without_key_creates_a_report_routed_like_the_web_form(gers_client, auch, lighting):
    lat, lon = inside(auch.code)
    response = gers_client.post(API + "requests.json", {
        "service_code": f"{auch.code}-eclairage-public", "lat": lat, "long": lon,
        "description": "Lampadaire éteint", "email": "a@example.org", "first_name": "Ana",
    })
    assert response.status_code == 201
    row = response.json()[0]
    report = Report.objects.get(pk=row["service_request_id"])
    assert report.territory == auch and report.token == row["token"] and report.channel == "open311"
    token = gers_client.get(API + f"tokens/{row['token']}.json").json()[0]
    assert token["service_request_id"] == str(report.pk)


def test_a_post_needs_no_csrf_token_and_only_requests_takes_one(gers_portal, auch, lighting):
    client = Client(HTTP_HOST="gers.test", enforce_csrf_checks=True)
    lat, lon = inside(auch.code)
    data = {"service_code": f"{auch.code}-eclairage-public", "lat": lat, "long": lon, "description": "x",
            "jurisdiction_id": gers_portal.root.code}
    response = client.post(API + "requests.xml", data)
    assert response.status_code == 201 and _xml(response.content).find("request/token") is not None
    refused = client.post(API + "services.json")
    _is_error(refused, 405)
    assert refused["Allow"] == "GET, HEAD"
    assert client.put(API + "requests.json")["Allow"] == "GET, HEAD, POST"


def test_a_valid_key_marks_the_channel_and_a_wrong_one_is_403(gers_client, orne, auch, lighting):
    Open311Client.objects.create(name="fixmystreet", key_hash=hash_api_key("s3cret"), territory=auch)
    Open311Client.objects.create(name="elsewhere", key_hash=hash_api_key("other"), territory=orne)
    lat, lon = inside(auch.code)
    data = {"service_code": f"{auch.code}-eclairage-public", "lat": lat, "long": lon, "description": "x"}
    row = gers_client.post(API + "requests.json", {**data, "api_key": "s3cret"}).json()[0]
    assert Report.objects.get(pk=row["service_request_id"]).channel == "open311:fixmystreet"
    _is_error(gers_client.post(API + "requests.json", {**data, "api_key": "wrong"}), 403)
    _is_error(gers_client.post(API + "requests.json", {**data, "api_key": "other"}), 403)


def test_the_public_rate_limit_applies_without_a_key(gers_client, auch, lighting):
    lat, lon = inside(auch.code)
    data = {"service_code": f"{auch.code}-eclairage-public", "lat": lat, "long": lon, "description": "x"}
    for _ in range(REPORTS_PER_HOUR):
        assert gers_client.post(API + "requests.json", data).status_code == 201
    _is_error(gers_client.post(API + "requests.json", data), 429)
    assert Report.objects.count() == REPORTS_PER_HOUR


def test_behind_the_proxy_the_limit_counts_each_client_not_the_proxy(gers_client, auch, lighting, settings):
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    lat, lon = inside(auch.code)
    data = {"service_code": f"{auch.code}-eclairage-public", "lat": lat, "long": lon, "description": "x"}
    for _ in range(REPORTS_PER_HOUR):
        response = gers_client.post(API + "requests.json", data, REMOTE_ADDR="127.0.0.1",
                                    HTTP_X_FORWARDED_FOR="203.0.113.7")
        assert response.status_code == 201
    other = gers_client.post(API + "requests.json", data, REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.8")
    assert other.status_code == 201


def test_a_post_in_a_commune_that_switched_reports_off_is_refused(gers_client, auch, lighting):
    from clocher.territories.models import ModuleSetting

    ModuleSetting.objects.create(territory=auch, module="reports", enabled=False)
    lat, lon = inside(auch.code)
    data = {"service_code": f"{auch.code}-eclairage-public", "lat": lat, "long": lon, "description": "x"}
    response = gers_client.post(API + "requests.json", data)
    _is_error(response, 400)
    assert "ne reçoit pas de signalements" in response.json()[0]["description"]
    assert not Report.objects.exists()


def test_the_same_idempotency_key_makes_one_report(gers_client, auch, lighting):
    lat, lon = inside(auch.code)
    data = {"service_code": f"{auch.code}-eclairage-public", "lat": lat, "long": lon, "description": "x"}
    first = gers_client.post(API + "requests.json", data, HTTP_IDEMPOTENCY_KEY="k-1").json()
    second = gers_client.post(API + "requests.json", data, HTTP_IDEMPOTENCY_KEY="k-1").json()
    assert first == second and Report.objects.count() == 1


def test_requests_list_validates_and_never_shows_the_contact(gers_client, gers_portal, auch, lighting):
    _report(gers_portal, lighting, inside(auch.code), name="Secret Person", email="secret@example.org")
    response = gers_client.get(API + "requests.json?status=open")
    body = response.json()
    _validate(body, "requests.json")
    assert len(body) == 1 and body[0]["status"] == "open"
    assert b"secret" not in response.content
    _validate(gers_client.get(API + f"requests/{body[0]['service_request_id']}.json").json(), "requests.json")
    _xml(gers_client.get(API + "requests.xml").content)


@pytest.mark.parametrize("path", [
    "requests.json?start_date=yesterday",
    "requests.json?start_date=2026-01-01T00:00:00",
    "requests.json?status=maybe",
    "requests.json?service_request_id=a,b",
])
def test_bad_filters_are_400_errors(gers_client, path):
    _is_error(gers_client.get(API + path), 400)


def test_errors_are_standard(gers_client, auch, lighting):
    _is_error(gers_client.get(API + "services.csv"), 404)
    _is_error(gers_client.get(API + "services.json?jurisdiction_id=elsewhere.example"), 404)
    assert gers_client.get(API + "services.json?jurisdiction_id=gers.test").status_code == 200
    _is_error(gers_client.get(API + "requests/999999.json"), 404)
    _is_error(gers_client.get(API + "tokens/nope.json"), 404)
    _is_error(gers_client.post(API + "requests.json", {"service_code": f"{auch.code}-eclairage-public"}), 400)
    _is_error(gers_client.post(API + "services.json"), 405)
    for bad in ("nan", "inf", "1e999"):
        code = f"{auch.code}-eclairage-public"
        _is_error(gers_client.post(API + "requests.json", {"service_code": code, "lat": bad, "long": "0"}), 400)
    assert not Report.objects.exists()
    xml = gers_client.get(API + "requests/999999.xml")
    assert xml.status_code == 404 and _xml(xml.content).find("error/code") is not None


def test_another_portals_request_is_a_404(orne_client, gers_portal, auch, lighting):
    report = _report(gers_portal, lighting, inside(auch.code))
    _is_error(orne_client.get(API + f"requests/{report.pk}.json"), 404)
    _is_error(orne_client.get(API + f"tokens/{report.token}.json"), 404)
    assert orne_client.get(API + "requests.json").json() == []
    assert not any(s["service_code"].endswith("eclairage-public")
                   for s in orne_client.get(API + "services.json").json())
    assert ReportCategory.objects.count() == 1


def test_the_requests_list_costs_the_same_queries_for_one_or_many(
    gers_client, gers_portal, auch, lighting, django_assert_max_num_queries
):
    for _ in range(5):
        _report(gers_portal, lighting, inside(auch.code))
    with django_assert_max_num_queries(8):
        assert len(gers_client.get(API + "requests.json").json()) == 5


def test_an_unknown_service_code_is_404_in_the_address_and_400_as_a_parameter(gers_client, auch, lighting):
    lat, lon = inside(auch.code)
    _is_error(gers_client.get(API + "services/32013-nope.json"), 404)
    _is_error(gers_client.post(API + "requests.json", {"service_code": "32013-nope", "lat": lat, "long": lon}), 400)
    _is_error(gers_client.post(API + "requests.json", {"lat": lat, "long": lon}), 400)
    _is_error(gers_client.get(API + "requests.json?service_code=32013-nope"), 400)
    _is_error(gers_client.get(API + f"requests.json?service_code={auch.code}-eclairage-public,32013-nope"), 400)
    assert not Report.objects.exists()


def test_service_code_and_status_filters_take_comma_lists(gers_client, gers_portal, auch, lighting, waste, alice):
    from clocher.reports.models import ReportStatus
    from clocher.reports.services import change_status

    lamp = _report(gers_portal, lighting, inside(auch.code))
    bins = _report(gers_portal, waste, inside(auch.code))
    change_status(alice, lamp, ReportStatus.RESOLVED)

    def ids(query: str) -> list[str]:
        return [r["service_request_id"] for r in gers_client.get(API + "requests.json?" + query).json()]

    both = f"{auch.code}-eclairage-public,{waste.territory.code}-dechets"
    assert ids(f"service_code={both}") == [str(bins.pk), str(lamp.pk)]
    assert ids(f"service_code={auch.code}-eclairage-public") == [str(lamp.pk)]
    assert ids("status=closed") == [str(lamp.pk)]
    assert ids("status=open,closed") == [str(bins.pk), str(lamp.pk)]
    assert ids("status=open&service_code=&start_date=&jurisdiction_id=") == [str(bins.pk)]


@pytest.mark.parametrize("path", [
    "services.csv", "services.JSON", "services.", "request/1.json", "requests/1.json/", "nothing",
    "tokens/a%0Ab.json%0A", "requests.js%0An",
])
def test_any_other_address_is_a_standard_404_in_json(gers_client, path):
    response = gers_client.get(API + path)
    _is_error(response, 404)
    assert response["Content-Type"] == "application/json; charset=utf-8"


def test_dates_at_the_ends_of_the_calendar_are_answered_not_crashed(gers_client, gers_portal, auch, lighting):
    _report(gers_portal, lighting, inside(auch.code))
    # Their UTC time is outside Python's calendar.
    _is_error(gers_client.get(API + "requests.json?start_date=9999-12-31T23:59:59-05:00"), 400)
    _is_error(gers_client.get(API + "requests.json?end_date=0001-01-01T00:00:00%2B05:00"), 400)
    # 90 days before the first day there is is the first day.
    assert gers_client.get(API + "requests.json?end_date=0001-01-01T00:00:00Z").json() == []
    assert len(gers_client.get(API + "requests.json?end_date=9999-12-31T23:59:59Z").json()) == 0
    assert len(gers_client.get(API + "requests.json?start_date=0001-01-01T00:00:00Z").json()) == 1


def test_ids_that_cannot_be_reports_find_nothing(gers_client, gers_portal, auch, lighting):
    report = _report(gers_portal, lighting, inside(auch.code))
    body = gers_client.get(API + f"requests.json?service_request_id=99999999999999999999,-1,0,{report.pk}").json()
    assert [r["service_request_id"] for r in body] == [str(report.pk)]
    _is_error(gers_client.get(API + "requests/99999999999999999999.json"), 404)


def test_a_nul_character_is_a_400_not_a_server_error(gers_client, auch, lighting):
    assert gers_client.get(API + "tokens/a%00b.json").status_code == 400
    assert gers_client.get(API + "requests.json?service_code=a%00").status_code == 400
    code = f"{auch.code}-eclairage-public"
    assert gers_client.post(API + "requests.json", {"service_code": code, "description": "a\x00"}).status_code == 400


def test_post_fields_may_come_in_the_query_string_the_body_winning(gers_client, auch, lighting):
    lat, lon = inside(auch.code)
    code = f"{auch.code}-eclairage-public"
    query = urlencode({"service_code": code, "lat": lat, "long": lon, "description": "query"})
    response = gers_client.post(API + "requests.json?" + query, {"description": "body"})
    assert response.status_code == 201
    assert Report.objects.get().description == "body"


def test_requests_have_no_media_url_rather_than_an_empty_one(gers_client, gers_portal, auch, lighting):
    report = _report(gers_portal, lighting, inside(auch.code))
    row = gers_client.get(API + f"requests/{report.pk}.json").json()[0]
    # "" is no URI: the Swagger's format check refused it (the JSON Schemas allow null).
    assert row["media_url"] is None and row["expected_datetime"] is None
