"""Open311 GeoReport v2 seen from outside, on a live server answering as the Gers portal:
schemathesis runs the published Swagger (../shared/data/open311-georeport-v2-schemas/swagger.json)
against it, and the `georeport` client from PyPI lists the services and requests and fetches one.

The Swagger is used as published except where it contradicts the GeoReport v2 text (see
`_swagger_as_the_spec_says`); a second run narrows its free parameters to our documented choices
(docs/open311.md) so that the generated requests reach the real answers, whose bodies are then
checked against it.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from clocher.reports.models import Open311Client, Report, ReportCategory, ReportStatus, hash_api_key
from clocher.reports.services import change_status
from clocher.reports.tests.geo import inside
from clocher.reports.tests.test_views import _report
from clocher.territories.geography import shared_data_dir
from clocher.territories.models import Portal, PortalHost

SCHEMAS = shared_data_dir() / "open311-georeport-v2-schemas"
SCHEMATHESIS = Path(sys.executable).parent / "schemathesis"
TRUSTED_KEY = "conformance-key"
# Checks whose failure is ours to fix. Left out: status_code_conformance (the Swagger documents
# 200 and a few 4xx per operation; our 403, 404 and 405 are the documented choices) and
# positive_data_acceptance (a schema-valid POST still needs a point inside the portal).
CHECKS = (
    "not_a_server_error", "response_schema_conformance", "content_type_conformance", "unsupported_method",
)
COMMON = (
    "--continue-on-failure", "--generation-deterministic", "--workers", "1", "--no-color",
    # A NUL anywhere in the request is refused before routing by clocher.core's RejectNulMiddleware,
    # in plain text (test_open311.py checks it is a 400); generating it here would only test that.
    "--generation-allow-x00", "false",
    # Without NUL, Hypothesis filters many generated path values: expected, not a schema problem.
    "--suppress-health-check", "filter_too_much",
)


@pytest.fixture
def live_portal(gers_portal: Portal) -> Portal:
    """The Gers portal answering on the live server's host names."""
    for hostname in ("localhost", "127.0.0.1"):
        PortalHost.objects.create(portal=gers_portal, hostname=hostname)
    return gers_portal


@pytest.fixture
def seeded(live_portal, alice, auch, lighting, waste, departmental_road) -> list[Report]:
    """Three categories at three levels and three reports in Auch, the oldest one rejected."""
    rejected = _report(live_portal, lighting, inside(auch.code), address="Rue Dessoles")
    change_status(alice, rejected, ReportStatus.REJECTED, public_reason="Éclairage privé.")
    bins = _report(live_portal, waste, inside(auch.code))
    lamp = _report(live_portal, lighting, inside(auch.code), address="Place de la Libération")
    return [lamp, bins, rejected]


def _swagger_as_the_spec_says() -> dict[str, Any]:
    """swagger.json with its three contradictions of the GeoReport v2 text corrected: one request
    is at requests/{id} (plural) and comes as a list, a token answers a list too, and the fields
    the JSON Schemas of the same repository allow to be null are nullable."""
    swagger: dict[str, Any] = json.loads((SCHEMAS / "swagger.json").read_text())
    paths = swagger["paths"]
    one = paths.pop("/request/{service_request_id}.{response_format}")
    one["get"]["responses"]["200"]["schema"] = {"type": "array", "items": {"$ref": "#/definitions/Request"}}
    paths["/requests/{service_request_id}.{response_format}"] = one
    token = paths["/tokens/{token_id}.{response_format}"]["get"]["responses"]["200"]
    token["schema"] = {"type": "array", "items": {"$ref": "#/definitions/TokenResponse"}}
    nullable = json.loads((SCHEMAS / "request.json").read_text())["properties"]
    for name, prop in swagger["definitions"]["Request"]["properties"].items():
        if {"type": "null"} in nullable[name].get("anyOf", []):
            prop["x-nullable"] = True
    return swagger


def _schemathesis(swagger: dict[str, Any], base_url: str, tmp_path: Path, *args: str) -> str:
    path = tmp_path / "swagger.json"
    path.write_text(json.dumps(swagger), encoding="utf-8")
    result = subprocess.run(  # noqa: S603 (our own venv's schemathesis, arguments we build)
        [str(SCHEMATHESIS), "run", str(path), "--url", base_url + "/open311/v2", *COMMON, *args],
        capture_output=True, text=True, timeout=300, check=False, cwd=tmp_path,
    )
    assert result.returncode == 0, result.stdout[-30000:] + result.stderr[-3000:]
    return result.stdout


def _parameters(swagger: dict[str, Any]) -> list[dict[str, Any]]:
    """Every parameter of every operation, the shared ones resolved."""
    found = []
    for item in swagger["paths"].values():
        for operation in item.values():
            for param in operation["parameters"]:
                if "$ref" in param:
                    param = swagger["parameters"][param["$ref"].rsplit("/", 1)[1]]
                found.append(param)
    return found


def test_the_published_swagger_finds_no_server_error(live_server, seeded, tmp_path):
    # response_format and jurisdiction_id free-form, as published: an unknown format or
    # jurisdiction must be a 404 in the standard JSON shape, never a 5xx nor the site's HTML page.
    # Every answer is then a 404, so rejecting negative data proves nothing here: the next test.
    _schemathesis(_swagger_as_the_spec_says(), live_server.url, tmp_path,
                  "--checks", ",".join(CHECKS), "--max-examples", "10")


def test_our_answers_conform_to_the_swagger(live_server, seeded, gers, auch, tmp_path):
    """The Swagger narrowed to our documented choices, so generated requests reach real answers:
    positive ones must get answers valid against it, negative ones a 4xx."""
    swagger = _swagger_as_the_spec_says()
    shared = swagger["parameters"]
    shared["response_format"]["enum"] = ["json"]
    shared["jurisdiction_id"].update(required=False, enum=[gers.code, "localhost"])
    codes = [f"{c.territory.code}-{c.code}" for c in ReportCategory.objects.select_related("territory")]
    for param in _parameters(swagger):
        # An empty parameter counts as absent (docs/open311.md): clients send every key.
        if param["in"] == "query":
            param["allowEmptyValue"] = True
        if param["name"] == "service_code":
            param["enum"] = codes
        if param["name"] == "service_request_id" and param["in"] == "path":
            param["enum"] = [str(r.pk) for r in seeded]
        if param["name"] == "token_id":
            param["enum"] = [r.token for r in seeded]
    # POST: a point in Auch and a trusted app's key, so that reports are made (201, our choice
    # for a new one, with the 200 answer's schema) without meeting the public rate limit.
    Open311Client.objects.create(name="schemathesis", key_hash=hash_api_key(TRUSTED_KEY), territory=auch)
    lat, lon = inside(auch.code)
    post = swagger["paths"]["/requests.{response_format}"]["post"]
    post.pop("security")
    for param in post["parameters"]:
        if param.get("name") in ("lat", "long"):
            param.update(required=True, enum=[lat if param["name"] == "lat" else lon])
    post["parameters"].append({"name": "api_key", "in": "query", "required": True, "type": "string",
                               "enum": [TRUSTED_KEY]})
    post["responses"]["201"] = post["responses"]["200"]
    before = Report.objects.count()
    _schemathesis(swagger, live_server.url, tmp_path,
                  "--checks", ",".join((*CHECKS, "negative_data_rejection")), "--max-examples", "10")
    assert Report.objects.count() > before, "no POST reached submit_report"


def test_the_georeport_client_reads_services_and_requests(live_server, seeded, gers, auch):
    from georeport import GeoReport  # type: ignore[import-untyped]

    lamp, bins, rejected = seeded
    client = GeoReport(live_server.url + "/open311/v2/", jurisdiction=gers.code)
    services = client.get_service_list()
    assert [(s["service_code"], s["service_name"], s["group"]) for s in services] == [
        (f"{auch.code}-eclairage-public", "Éclairage public", "Auch"),
        ("200066926-dechets", "Déchets", "CA Grand Auch Cœur de Gascogne"),
        (f"{gers.code}-route-departementale", "Route départementale", "Gers"),
    ]
    assert client.get_service_definition(f"{auch.code}-eclairage-public")["attributes"] == []

    rows = client.get_service_requests()
    assert [r["service_request_id"] for r in rows] == [str(lamp.pk), str(bins.pk), str(rejected.pk)]
    assert [r["status"] for r in rows] == ["open", "open", "closed"]
    assert [r["service_code"] for r in client.get_service_requests(status="closed")] == [
        f"{auch.code}-eclairage-public"
    ]
    assert [r["service_request_id"] for r in client.get_service_requests(
        service_code="200066926-dechets")] == [str(bins.pk)]

    one = client.get_service_request(str(rejected.pk))
    assert one["status"] == "closed" and one["status_notes"] == "Éclairage privé."
    assert one["address"] == "Rue Dessoles" and one["agency_responsible"] == "Auch"
    assert (one["lat"], one["long"]) == inside(auch.code)


def test_the_georeport_client_reads_the_xml_too(live_server, seeded, auch):
    from georeport import GeoReport

    lamp, bins, rejected = seeded
    client = GeoReport(live_server.url + "/open311/v2", output_format="xml")
    services = client.get_service_list()
    assert [s["service_code"] for s in services][0] == f"{auch.code}-eclairage-public"
    assert [s["metadata"] for s in services] == ["false"] * 3
    rows = client.get_service_requests(status="open")
    assert [r["service_request_id"] for r in rows] == [str(lamp.pk), str(bins.pk)]
    one = client.get_service_request(str(rejected.pk))
    assert one["status"] == "closed" and one["status_notes"] == "Éclairage privé."
    assert one["media_url"] is None and float(one["lat"]) == rejected.lat
