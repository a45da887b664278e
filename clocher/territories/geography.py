"""Loading the official geography: territories from the COG, and their boundaries from GeoJSON.

The territories come from the npm package `@etalab/decoupage-administratif` (régions, départements,
EPCI with their member communes, communes with postcodes and population). Boundaries come from any
GeoJSON file whose features carry the official `code` (france-geojson, IGN ADMIN EXPRESS exports).

Both imports are idempotent: they compare what is stored with what the data says and write only the
difference, so a second run changes nothing. A territory that left the official geography (a commune
merged into a commune nouvelle) is marked inactive, never deleted: reports, events and accounts that
point to it keep their meaning.
"""

from __future__ import annotations

import json
import math
import os
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import shapely
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop, ngettext
from shapely.geometry import MultiPolygon, Polygon, shape
from tqdm import tqdm

from clocher.core.text import fold

from . import lookup
from .models import Postcode, Territory, TerritoryKind

BATCH_SIZE = 500
# What the import compares and writes. Boundaries are left alone: they come from another source.
TRACKED_FIELDS = (
    "name", "search_name", "siren", "epci_kind", "population",
    "region_id", "departement_id", "epci_id", "is_active",
)
KIND_ORDER = (TerritoryKind.REGION, TerritoryKind.DEPARTEMENT, TerritoryKind.EPCI, TerritoryKind.COMMUNE)
# Marked only: the summaries translate them when they are written, in the language active then.
KIND_LABELS: dict[str, str] = {
    TerritoryKind.REGION.value: gettext_noop("régions"),
    TerritoryKind.DEPARTEMENT.value: gettext_noop("départements"),
    TerritoryKind.EPCI.value: gettext_noop("intercommunalités"),
    TerritoryKind.COMMUNE.value: gettext_noop("communes"),
}

T = TypeVar("T")


class GeographyError(Exception):
    """The data to import is missing or unreadable; the message says what to do, in French."""


def default_data_dir() -> Path:
    return Path(settings.NODE_MODULES_DIR) / "@etalab" / "decoupage-administratif" / "data"


def shared_data_dir() -> Path:
    """The folder of open data shared beside the repository (CLOCHER_SHARED_DATA overrides it)."""
    configured = os.environ.get("CLOCHER_SHARED_DATA")
    if configured:
        return Path(configured)
    return Path(settings.BASE_DIR).parent / "shared" / "data"


@dataclass
class KindTally:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    deactivated: int = 0
    # Counted in `updated` too: a territory that came back into the data.
    reactivated: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated or self.deactivated)


@dataclass
class TerritoryImportSummary:
    """What `import_territories` did, per kind of territory, and to postcodes."""

    tallies: dict[str, KindTally] = field(default_factory=lambda: {k.value: KindTally() for k in KIND_ORDER})
    postcodes_created: int = 0
    postcodes_deleted: int = 0
    seconds: float = 0.0

    @property
    def changed(self) -> bool:
        return (
            any(t.changed for t in self.tallies.values())
            or bool(self.postcodes_created or self.postcodes_deleted)
        )

    def lines(self) -> list[str]:
        lines = []
        for kind in KIND_ORDER:
            t = self.tallies[kind.value]
            line = _(
                "%(kind)s : %(created)d créé(s), %(updated)d mis à jour, %(unchanged)d inchangé(s), "
                "%(deactivated)d désactivé(s)"
            ) % {
                "kind": _(KIND_LABELS[kind.value]).capitalize(), "created": t.created, "updated": t.updated,
                "unchanged": t.unchanged, "deactivated": t.deactivated,
            }
            if t.reactivated:
                line += _(" (dont %(n)d réactivé(s))") % {"n": t.reactivated}
            lines.append(line)
        lines.append(
            _("Codes postaux : %(created)d ajouté(s), %(deleted)d retiré(s)")
            % {"created": self.postcodes_created, "deleted": self.postcodes_deleted}
        )
        if not self.changed:
            lines.append(_("Aucun changement : le découpage administratif était déjà à jour."))
        return lines


@dataclass
class BoundaryImportSummary:
    """What `import_boundaries` did: boundaries stored, and the features it could not use."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    unknown_codes: list[str] = field(default_factory=list)
    without_code: int = 0
    invalid: list[str] = field(default_factory=list)
    by_kind: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated)

    def lines(self) -> list[str]:
        lines = [
            _("Contours : %(created)d ajouté(s), %(updated)d mis à jour, %(unchanged)d inchangé(s)")
            % {"created": self.created, "updated": self.updated, "unchanged": self.unchanged}
        ]
        for kind, count in sorted(self.by_kind.items()):
            lines.append(
                _("  %(kind)s avec un contour dans ce fichier : %(count)d")
                % {"kind": _(KIND_LABELS.get(kind, kind)).capitalize(), "count": count}
            )
        if self.unknown_codes:
            shown = ", ".join(self.unknown_codes[:20])
            more = "…" if len(self.unknown_codes) > 20 else ""
            lines.append(
                ngettext(
                    "%(n)d code inconnu dans la base, ignoré : %(codes)s%(more)s",
                    "%(n)d codes inconnus dans la base, ignorés : %(codes)s%(more)s",
                    len(self.unknown_codes),
                )
                % {"n": len(self.unknown_codes), "codes": shown, "more": more}
            )
        if self.without_code:
            lines.append(
                ngettext(
                    "%(n)d élément sans propriété « code », ignoré",
                    "%(n)d éléments sans propriété « code », ignorés",
                    self.without_code,
                )
                % {"n": self.without_code}
            )
        if self.invalid:
            lines.append(
                _("Géométrie inutilisable (ni Polygon ni MultiPolygon), ignorée : %(codes)s")
                % {"codes": ", ".join(self.invalid[:20])}
            )
        if not self.changed:
            lines.append(_("Aucun changement : les contours étaient déjà à jour."))
        return lines


def _read_json(path: Path) -> Any:
    try:
        with path.open(encoding="utf-8") as handle:
            return json.load(handle)
    except FileNotFoundError:
        raise GeographyError(_("Fichier introuvable : %(path)s") % {"path": path}) from None
    except IsADirectoryError:
        raise GeographyError(_("%(path)s est un dossier, pas un fichier.") % {"path": path}) from None
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise GeographyError(
            _("%(path)s n'est pas un fichier JSON lisible : %(error)s") % {"path": path, "error": error}
        ) from None


def _chunks(items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _text(value: Any) -> str:
    return str(value) if value is not None else ""


# --- territories -----------------------------------------------------------------------------------


def _read_cog(data_dir: Path) -> dict[str, list[dict[str, Any]]]:
    if not data_dir.is_dir():
        raise GeographyError(
            _(
                "Dossier des données du découpage administratif introuvable : %(path)s. "
                "Installez les dépendances npm (make install ou npm ci)."
            )
            % {"path": data_dir}
        )
    data: dict[str, list[dict[str, Any]]] = {}
    for name in ("regions", "departements", "epci", "communes"):
        content = _read_json(data_dir / f"{name}.json")
        if not isinstance(content, list):
            raise GeographyError(
                _("%(path)s devrait contenir une liste.") % {"path": data_dir / f"{name}.json"}
            )
        data[name] = content
    return data


def _wanted_territories(
    data: dict[str, list[dict[str, Any]]],
) -> dict[str, dict[str, dict[str, Any]]]:
    """The territories the data describes, per kind, keyed by code, with codes of their parents.

    Parent links are given as codes here (`_region`, `_departement`, `_epci`) and turned into
    primary keys once the parents exist.
    """
    communes = [c for c in data["communes"] if c.get("type") == "commune-actuelle"]
    epci_of_commune: dict[str, str] = {}
    for epci in data["epci"]:
        for member in epci.get("membres", []):
            epci_of_commune[member["code"]] = epci["code"]

    commune_places = {c["code"]: (c.get("region"), c.get("departement")) for c in communes}
    # The data set gives no population for régions and départements: the sum of their communes'.
    region_people: dict[str, int] = defaultdict(int)
    dep_people: dict[str, int] = defaultdict(int)
    for commune in communes:
        people = int(commune.get("population") or 0)
        region_people[commune.get("region") or ""] += people
        dep_people[commune.get("departement") or ""] += people
    wanted: dict[str, dict[str, dict[str, Any]]] = {k.value: {} for k in KIND_ORDER}
    for region in data["regions"]:
        wanted[TerritoryKind.REGION][region["code"]] = {
            "name": region["nom"], "population": region_people.get(region["code"]) or None,
        }
    for dep in data["departements"]:
        wanted[TerritoryKind.DEPARTEMENT][dep["code"]] = {
            "name": dep["nom"], "_region": dep.get("region"),
            "population": dep_people.get(dep["code"]) or None,
        }
    for epci in data["epci"]:
        # An EPCI may straddle départements: it is filed under the one where most of its people live.
        weight: dict[tuple[Any, Any], int] = defaultdict(int)
        for member in epci.get("membres", []):
            place = commune_places.get(member["code"])
            if place is not None:
                weight[place] += int(member.get("populationMunicipale") or 0) + 1
        region_code, dep_code = max(sorted(weight, key=str), key=lambda p: weight[p]) if weight else (None, None)
        wanted[TerritoryKind.EPCI][epci["code"]] = {
            "name": epci["nom"],
            "siren": epci["code"],
            "epci_kind": _text(epci.get("type")),
            "population": epci.get("populationMunicipale"),
            "_region": region_code,
            "_departement": dep_code,
        }
    for commune in communes:
        wanted[TerritoryKind.COMMUNE][commune["code"]] = {
            "name": commune["nom"],
            "siren": _text(commune.get("siren")),
            "population": commune.get("population"),
            "_region": commune.get("region"),
            "_departement": commune.get("departement"),
            "_epci": epci_of_commune.get(commune["code"]),
            "_postcodes": sorted(set(commune.get("codesPostaux") or [])),
        }
    return wanted


def _sync_kind(
    kind: str,
    wanted: dict[str, dict[str, Any]],
    parents: dict[str, dict[str, int]],
    tally: KindTally,
    bar: Any,
) -> dict[str, int]:
    """Create, update and deactivate the territories of one kind; return their pk by code."""
    now = timezone.now()
    existing = {t.code: t for t in Territory.objects.filter(kind=kind).defer("boundary")}

    def values_of(spec: dict[str, Any]) -> dict[str, Any]:
        return {
            "name": spec["name"],
            "search_name": fold(spec["name"]),
            "siren": spec.get("siren", ""),
            "epci_kind": spec.get("epci_kind", ""),
            "population": spec.get("population"),
            "region_id": parents[TerritoryKind.REGION].get(spec.get("_region") or ""),
            "departement_id": parents[TerritoryKind.DEPARTEMENT].get(spec.get("_departement") or ""),
            "epci_id": parents[TerritoryKind.EPCI].get(spec.get("_epci") or ""),
            "is_active": True,
        }

    codes = sorted(wanted)
    for batch in _chunks(codes, BATCH_SIZE):
        to_create: list[Territory] = []
        to_update: list[Territory] = []
        changed_fields: set[str] = set()
        for code in batch:
            values = values_of(wanted[code])
            row = existing.get(code)
            if row is None:
                to_create.append(Territory(kind=kind, code=code, **values))
                tally.created += 1
                continue
            changed = [name for name, value in values.items() if getattr(row, name) != value]
            if not changed:
                tally.unchanged += 1
                continue
            if not row.is_active:
                tally.reactivated += 1
            for name in changed:
                setattr(row, name, values[name])
            row.updated_at = now
            changed_fields.update(changed)
            to_update.append(row)
            tally.updated += 1
        _write(to_create, to_update, changed_fields)
        bar.update(len(batch))

    gone = [row for code, row in existing.items() if code not in wanted and row.is_active]
    for row in gone:
        row.is_active = False
        row.updated_at = now
    tally.deactivated += len(gone)
    _write([], gone, {"is_active"})
    return dict(Territory.objects.filter(kind=kind).values_list("code", "pk"))


def _write(to_create: list[Territory], to_update: list[Territory], changed: set[str]) -> None:
    if to_create:
        Territory.objects.bulk_create(to_create, batch_size=BATCH_SIZE)
    if to_update:
        # bulk_update skips save() and auto_now: updated_at was set by hand, search_name too.
        names = [Territory._meta.get_field(attname).name for attname in sorted(changed)]
        Territory.objects.bulk_update(to_update, [*names, "updated_at"], batch_size=BATCH_SIZE)


def _sync_postcodes(
    wanted: dict[str, dict[str, Any]], commune_ids: dict[str, int], summary: TerritoryImportSummary
) -> None:
    """Make each commune in the data have exactly its postcodes; communes gone keep theirs."""
    wanted_pairs = {
        (commune_ids[code], postcode)
        for code, spec in wanted.items()
        for postcode in spec["_postcodes"]
    }
    in_data = {commune_ids[code] for code in wanted}
    existing: dict[tuple[int, str], int] = {
        (territory_id, code): pk
        for pk, territory_id, code in Postcode.objects.filter(
            territory__kind=TerritoryKind.COMMUNE
        ).values_list("pk", "territory_id", "code")
    }
    missing = sorted(wanted_pairs - existing.keys())
    extra = [pk for pair, pk in existing.items() if pair not in wanted_pairs and pair[0] in in_data]
    Postcode.objects.bulk_create(
        [Postcode(territory_id=tid, code=code) for tid, code in missing], batch_size=BATCH_SIZE
    )
    for batch in _chunks(extra, BATCH_SIZE):
        Postcode.objects.filter(pk__in=batch).delete()
    summary.postcodes_created += len(missing)
    summary.postcodes_deleted += len(extra)


def import_territories(data_dir: Path | str | None = None, *, progress: bool = False) -> TerritoryImportSummary:
    """Load régions, départements, EPCI and communes of all France from the COG data set.

    Only current communes ("commune-actuelle") are imported; communes déléguées and associées are
    parts of another commune. Writes nothing when the data has not changed. Refuses (GeographyError)
    a missing or unreadable data folder, before writing anything. Everything happens in one
    transaction, so a failure halfway leaves the previous geography in place.
    """
    started = timezone.now()
    directory = Path(data_dir) if data_dir is not None else default_data_dir()
    wanted = _wanted_territories(_read_cog(directory))
    summary = TerritoryImportSummary()
    parents: dict[str, dict[str, int]] = {k.value: {} for k in KIND_ORDER}
    total = sum(len(v) for v in wanted.values())
    with (
        tqdm(total=total, disable=not progress, desc=_("Territoires"), unit="", leave=False) as bar,
        transaction.atomic(),
    ):
        for kind in KIND_ORDER:
            parents[kind.value] = _sync_kind(
                kind.value, wanted[kind.value], parents, summary.tallies[kind.value], bar
            )
        _sync_postcodes(wanted[TerritoryKind.COMMUNE], parents[TerritoryKind.COMMUNE], summary)
        if summary.changed:
            transaction.on_commit(lookup.invalidate)
    if summary.changed:
        lookup.invalidate()
    summary.seconds = (timezone.now() - started).total_seconds()
    return summary


# --- boundaries ------------------------------------------------------------------------------------


def _features(content: Any, path: Path) -> list[dict[str, Any]]:
    if isinstance(content, dict) and content.get("type") == "FeatureCollection":
        features = content.get("features")
        if isinstance(features, list):
            return [f for f in features if isinstance(f, dict)]
    if isinstance(content, dict) and content.get("type") == "Feature":
        return [content]
    raise GeographyError(
        _("%(path)s n'est pas un document GeoJSON (FeatureCollection ou Feature).") % {"path": path}
    )


def _polygonal(geometry: Any) -> tuple[Polygon | MultiPolygon | None, bool]:
    """The feature's geometry as a valid (Multi)Polygon (None when it is not an area), and whether
    it had to be repaired."""
    try:
        geom = shape(geometry)
    except (AttributeError, KeyError, TypeError, ValueError, IndexError, shapely.errors.ShapelyError):
        return None, False
    if geom.is_empty or geom.geom_type not in ("Polygon", "MultiPolygon"):
        return None, False
    repaired = not geom.is_valid
    if repaired:
        # A self-touching ring in the source must not make the commune unfindable.
        fixed = shapely.make_valid(geom)
        parts = [g for g in getattr(fixed, "geoms", [fixed]) if g.geom_type in ("Polygon", "MultiPolygon")]
        polygons: list[Polygon] = []
        for part in parts:
            polygons.extend(part.geoms if isinstance(part, MultiPolygon) else [part])
        if not polygons:
            return None, True
        geom = polygons[0] if len(polygons) == 1 else MultiPolygon(polygons)
    return geom, repaired


def _boundary_values(
    geometry: dict[str, Any], geom: Polygon | MultiPolygon, repaired: bool
) -> dict[str, Any]:
    # The source geometry is stored as given when valid, so a re-import compares equal.
    stored = json.loads(shapely.to_geojson(geom)) if repaired else geometry
    min_lon, min_lat, max_lon, max_lat = geom.bounds
    point = geom.representative_point()
    return {
        "boundary": {"type": stored["type"], "coordinates": stored["coordinates"]},
        "min_lon": min_lon, "min_lat": min_lat, "max_lon": max_lon, "max_lat": max_lat,
        "center_lat": round(point.y, 6), "center_lon": round(point.x, 6),
    }


def _same(row: Territory, values: dict[str, Any]) -> bool:
    for name, value in values.items():
        current = getattr(row, name)
        if isinstance(value, float):
            if current is None or not math.isclose(current, value, abs_tol=1e-9):
                return False
        elif current != value:
            return False
    return True


def import_boundaries(
    path: Path | str,
    *,
    kinds: Iterable[str] = (TerritoryKind.COMMUNE, TerritoryKind.DEPARTEMENT),
    progress: bool = False,
) -> BoundaryImportSummary:
    """Store the boundaries of a GeoJSON file on the territories whose official code they carry.

    Each feature needs a `code` property (INSEE code) and a Polygon or MultiPolygon geometry; it is
    matched against territories of `kinds` (communes and départements by default: région codes
    overlap département codes, so régions must be asked for alone). Features without a code, with
    an unusable geometry, or with a code unknown in the database are reported and skipped. Refuses
    (GeographyError) a missing file or one that is not GeoJSON. Writes only boundaries that changed,
    with their bounding box and a point guaranteed inside (shapely's representative_point), then
    tells the commune lookup to rebuild its index.
    """
    started = timezone.now()
    source = Path(path)
    features = _features(_read_json(source), source)
    summary = BoundaryImportSummary()
    kinds = tuple(kinds)
    by_code: dict[str, dict[str, Any]] = {}
    for feature in features:
        properties = feature.get("properties") or {}
        code = properties.get("code") if isinstance(properties, dict) else None
        if code is None or str(code).strip() == "":
            summary.without_code += 1
            continue
        by_code[str(code).strip()] = feature

    candidates: dict[str, Territory] = {}
    # Communes win over départements should a code ever match both (their codes never overlap).
    rank = {kind: i for i, kind in enumerate(kinds)}
    for batch in _chunks(sorted(by_code), BATCH_SIZE):
        for match in Territory.objects.filter(kind__in=kinds, code__in=batch):
            known = candidates.get(match.code)
            if known is None or rank[match.kind] < rank[known.kind]:
                candidates[match.code] = match

    now = timezone.now()
    to_update: list[Territory] = []
    with tqdm(total=len(by_code), disable=not progress, desc=_("Contours"), unit="", leave=False) as bar:
        for code, feature in sorted(by_code.items()):
            bar.update(1)
            row = candidates.get(code)
            if row is None:
                summary.unknown_codes.append(code)
                continue
            geom, repaired = _polygonal(feature.get("geometry"))
            if geom is None:
                summary.invalid.append(code)
                continue
            values = _boundary_values(feature["geometry"], geom, repaired)
            summary.by_kind[row.kind] = summary.by_kind.get(row.kind, 0) + 1
            if _same(row, values):
                summary.unchanged += 1
                continue
            if row.boundary is None:
                summary.created += 1
            else:
                summary.updated += 1
            for name, value in values.items():
                setattr(row, name, value)
            row.updated_at = now
            to_update.append(row)
    with transaction.atomic():
        Territory.objects.bulk_update(
            to_update,
            ["boundary", "min_lon", "min_lat", "max_lon", "max_lat", "center_lat", "center_lon", "updated_at"],
            batch_size=100,
        )
        if to_update:
            transaction.on_commit(lookup.invalidate)
    if to_update:
        lookup.invalidate()
    summary.seconds = (timezone.now() - started).total_seconds()
    return summary
