"""Pabulib `.pb` files (pabulib.org/format): read one into plain dataclasses, write one back.

A file has three `;`-separated sections, each opened by its name on a line of its own and a
header row: META (`key;value`), PROJECTS (`project_id;cost;...`) and VOTES (`voter_id;vote;...`,
plus `points` for cumulative and scoring ballots). Fields may be quoted as in CSV. This module
knows the format and no Django model: it hands `counting.py` an Election to count, and the
participation app's services will store what it reads.

A malformed file is refused with a PabulibError whose message says, in French, which line and
which field is wrong; it is what an operator sees from `clocher pb tally` or an import form.
The writer produces files that pabulib-checker (the format's own validator) accepts: known
fields in the format's order, counts recomputed from the ballots, numbers written exactly.
"""

from __future__ import annotations

import csv
import functools
import io
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from pathlib import Path

from django.utils.translation import gettext as _

from clocher.participation.counting import Election, VoteType

# A file is read whole into memory: past this size it is refused rather than read. Real budgets,
# even a large city's with hundreds of thousands of ballots, stay well under it.
MAX_BYTES = 200 * 1024 * 1024


class PabulibError(ValueError):
    """The file is not a valid Pabulib file; the message says where, in French."""


@dataclass(frozen=True)
class Project:
    """A project on the ballot: its id as written in the file, its cost and every other column.

    `extra` keeps the other PROJECTS columns as written (votes, score, selected, category...)
    except where the file wrote `None`, Pabulib's empty value.
    """

    id: str
    cost: Fraction
    name: str = ""
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def selected(self) -> bool | None:
        """The file's `selected` column: whether the project won, or None without the column.

        Pabulib uses 1 for a winner and 0, 2 or 3 for the other outcomes (not funded, funded
        from elsewhere...): only 1 is a win of this vote.
        """
        value = self.extra.get("selected")
        if value is None:
            return None
        return value.strip() == "1"


@dataclass(frozen=True)
class Ballot:
    """One voter's ballot: the projects named, in the file's order, and their points if any.

    For an ordinal ballot the order is the ranking, best first; for cumulative and scoring
    ballots `points[i]` goes with `projects[i]`; approval and choose-1 ballots have no points.
    """

    voter_id: str
    projects: tuple[str, ...]
    points: tuple[Fraction, ...] | None = None
    extra: dict[str, str] = field(default_factory=dict)


@dataclass
class Instance:
    """A whole Pabulib file: its META section, its projects by id and its ballots in order."""

    meta: dict[str, str]
    projects: dict[str, Project]
    ballots: list[Ballot]

    @property
    def budget(self) -> Fraction:
        return parse_number(self.meta["budget"], lambda: _("le champ META « budget »"))

    @property
    def vote_type(self) -> VoteType:
        return VoteType(self.meta["vote_type"])

    def election(self) -> Election:
        """The counting view of the file: budget, costs, ballot type and ballots."""
        return Election(
            self.budget, {project.id: project.cost for project in self.projects.values()},
            self.vote_type, self.ballots,
        )

    def file_selected(self) -> set[str] | None:
        """The winners the file itself records in its `selected` column, or None without one."""
        if not any("selected" in project.extra for project in self.projects.values()):
            return None
        return {project.id for project in self.projects.values() if project.selected}


# Reading ------------------------------------------------------------------------------------

SECTIONS = ("meta", "projects", "votes")
# Plain decimals only: an exponent ("1e999999999") would let a short file ask for a huge integer.
_NUMBER = re.compile(r"[+-]?(\d+([.,]\d*)?|[.,]\d+)")


def parse_number(text: str, where: Callable[[], str]) -> Fraction:
    """A decimal number as Pabulib writes it ("12000", "400000.0", "106165.64"), exactly.

    A comma is taken as the decimal separator, as pabutools does, since some files were written
    by spreadsheets in locales that use one. `where` names the field for the error message; it
    is only called on an error, so that a large file is not translated number by number.
    """
    cleaned = text.strip()
    if _NUMBER.fullmatch(cleaned):
        try:
            return Fraction(Decimal(cleaned.replace(",", ".")))
        except (InvalidOperation, ValueError, OverflowError):
            pass
    raise PabulibError(
        _("%(where)s doit être un nombre, pas « %(value)s ».") % {"where": where(), "value": text}
    )


def read_pb(path: Path | str) -> Instance:
    """Reads a .pb file from disk; an unreadable or malformed file raises PabulibError."""
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise PabulibError(
                _("%(path)s fait %(size)d octets : un fichier Pabulib en fait au plus %(max)d.")
                % {"path": path, "size": size, "max": MAX_BYTES}
            )
        data = path.read_bytes()
    except IsADirectoryError:
        raise PabulibError(_("%(path)s est un dossier, pas un fichier.") % {"path": path}) from None
    except FileNotFoundError:
        raise PabulibError(_("Fichier introuvable : %(path)s") % {"path": path}) from None
    except OSError as error:
        raise PabulibError(
            _("Lecture impossible de %(path)s : %(error)s") % {"path": path, "error": error.strerror}
        ) from None
    return parse_pb(data)


def parse_pb(data: bytes | str) -> Instance:
    """Parses the text of a .pb file (UTF-8, with or without a byte-order mark)."""
    if isinstance(data, bytes):
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            raise PabulibError(
                _("Le fichier n'est pas en UTF-8 (octet %(position)d illisible).")
                % {"position": error.start}
            ) from None
    else:
        text = data.removeprefix("\ufeff")
    if "\x00" in text:
        raise PabulibError(_("Le fichier contient un caractère nul : ce n'est pas un fichier texte."))
    return _Reader(text).read()


class _Reader:
    """One pass over the rows; keeps the line number of each row for the error messages."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.meta: dict[str, str] = {}
        self.projects: dict[str, Project] = {}
        self.ballots: list[Ballot] = []
        self.voter_ids: set[str] = set()
        self.vote_type = VoteType.APPROVAL  # META's, once check_meta has read it

    def rows(self) -> Iterator[tuple[int, list[str]]]:
        reader = csv.reader(io.StringIO(self.text, newline=""), delimiter=";")
        line = 1
        try:
            for row in reader:
                yield line, row
                line = reader.line_num + 1
        except csv.Error as error:
            raise PabulibError(
                _("Ligne %(line)d : %(error)s") % {"line": reader.line_num, "error": error}
            ) from None

    def read(self) -> Instance:
        section = ""
        header: list[str] | None = None
        seen: list[str] = []
        for line, row in self.rows():
            if not row or all(not cell.strip() for cell in row):
                continue
            first = row[0].strip().lower()
            if first in SECTIONS and all(not cell.strip() for cell in row[1:]):
                if first in seen:
                    raise PabulibError(
                        _("Ligne %(line)d : la section %(section)s apparaît deux fois.")
                        % {"line": line, "section": first.upper()}
                    )
                expected = SECTIONS[len(seen)] if len(seen) < len(SECTIONS) else ""
                if first != expected:
                    raise PabulibError(
                        _("Ligne %(line)d : la section %(section)s arrive avant %(expected)s ; "
                          "l'ordre est META, PROJECTS, VOTES.")
                        % {"line": line, "section": first.upper(), "expected": expected.upper()}
                    )
                seen.append(first)
                section, header = first, None
                continue
            if not section:
                raise PabulibError(
                    _("Ligne %(line)d : le fichier doit commencer par la section META.") % {"line": line}
                )
            if header is None:
                header = self.header(line, row, section)
                continue
            if section == "meta":
                self.meta_row(line, row)
            elif section == "projects":
                self.project_row(line, row, header)
            else:
                self.vote_row(line, row, header)
        for name in SECTIONS:
            if name not in seen:
                raise PabulibError(_("Il manque la section %(section)s.") % {"section": name.upper()})
        self.check_meta()
        instance = Instance(self.meta, self.projects, self.ballots)
        self.check_counts(instance)
        return instance

    def header(self, line: int, row: list[str], section: str) -> list[str]:
        names = [cell.strip() for cell in row]
        required = {"meta": ("key", "value"), "projects": ("project_id", "cost"),
                    "votes": ("voter_id", "vote")}[section]
        if section == "meta":
            if [name.lower() for name in names[:2]] != ["key", "value"]:
                raise PabulibError(
                    _("Ligne %(line)d : la section META commence par l'en-tête « key;value ».")
                    % {"line": line}
                )
            return names
        for name in required:
            if name not in names:
                raise PabulibError(
                    _("Ligne %(line)d : l'en-tête de %(section)s n'a pas de colonne « %(column)s ».")
                    % {"line": line, "section": section.upper(), "column": name}
                )
        if len(set(names)) != len(names) or "" in names:
            raise PabulibError(
                _("Ligne %(line)d : l'en-tête de %(section)s a une colonne vide ou répétée.")
                % {"line": line, "section": section.upper()}
            )
        if section == "votes":
            self.check_meta()
            if self.vote_type.has_points and "points" not in names:
                raise PabulibError(
                    _("Ligne %(line)d : des bulletins « %(type)s » ont besoin d'une colonne « points ».")
                    % {"line": line, "type": self.vote_type}
                )
        return names

    def meta_row(self, line: int, row: list[str]) -> None:
        if len(row) < 2 or any(cell.strip() for cell in row[2:]):
            raise PabulibError(
                _("Ligne %(line)d : une ligne de META a deux champs, « clé;valeur ».") % {"line": line}
            )
        key, value = row[0].strip(), row[1].strip()
        if not key:
            raise PabulibError(_("Ligne %(line)d : clé META vide.") % {"line": line})
        if key in self.meta:
            raise PabulibError(
                _("Ligne %(line)d : la clé META « %(key)s » apparaît deux fois.") % {"line": line, "key": key}
            )
        self.meta[key] = value

    def check_meta(self) -> None:
        """The META keys the counting needs, checked once before the first ballot."""
        for key in ("budget", "vote_type"):
            if key not in self.meta:
                raise PabulibError(_("Il manque la clé META « %(key)s ».") % {"key": key})
        if self.meta["vote_type"] not in set(VoteType):
            raise PabulibError(
                _("vote_type « %(value)s » inconnu : approval, cumulative, ordinal, choose-1 ou scoring.")
                % {"value": self.meta["vote_type"]}
            )
        budget = parse_number(self.meta["budget"], lambda: _("le champ META « budget »"))
        if budget < 0:
            raise PabulibError(_("Le budget ne peut pas être négatif."))
        self.vote_type = VoteType(self.meta["vote_type"])

    def cells(self, line: int, row: list[str], header: list[str], section: str) -> dict[str, str]:
        if len(row) != len(header):
            raise PabulibError(
                _("Ligne %(line)d : %(count)d champs, alors que l'en-tête de %(section)s en a %(expected)d.")
                % {"line": line, "count": len(row), "section": section, "expected": len(header)}
            )
        # Pabulib writes `None` for an empty value.
        return {
            name: cell.strip() for name, cell in zip(header, row, strict=True)
            if cell.strip() and cell.strip().lower() != "none"
        }

    def project_row(self, line: int, row: list[str], header: list[str]) -> None:
        cells = self.cells(line, row, header, "PROJECTS")
        project_id = cells.pop("project_id", "")
        if not project_id:
            raise PabulibError(_("Ligne %(line)d : projet sans project_id.") % {"line": line})
        if "," in project_id:
            raise PabulibError(
                _("Ligne %(line)d : l'identifiant de projet « %(id)s » contient une virgule, "
                  "le séparateur des bulletins.") % {"line": line, "id": project_id}
            )
        if project_id in self.projects:
            raise PabulibError(
                _("Ligne %(line)d : le projet « %(id)s » apparaît deux fois.") % {"line": line, "id": project_id}
            )
        if "cost" not in cells:
            raise PabulibError(_("Ligne %(line)d : le projet « %(id)s » n'a pas de coût.") % {"line": line, "id": project_id})
        cost = parse_number(
            cells.pop("cost"),
            lambda: _("Ligne %(line)d, coût du projet « %(id)s »") % {"line": line, "id": project_id},
        )
        if cost < 0:
            raise PabulibError(
                _("Ligne %(line)d : le coût du projet « %(id)s » est négatif.") % {"line": line, "id": project_id}
            )
        name = cells.pop("name", "")
        self.projects[project_id] = Project(project_id, cost, name, cells)

    def vote_row(self, line: int, row: list[str], header: list[str]) -> None:
        cells = self.cells(line, row, header, "VOTES")
        voter_id = cells.pop("voter_id", "")
        if not voter_id:
            raise PabulibError(_("Ligne %(line)d : bulletin sans voter_id.") % {"line": line})
        if voter_id in self.voter_ids:
            raise PabulibError(
                _("Ligne %(line)d : le votant « %(id)s » a deux bulletins.") % {"line": line, "id": voter_id}
            )
        self.voter_ids.add(voter_id)
        named = [item.strip() for item in cells.pop("vote", "").split(",")]
        projects = tuple(item for item in named if item)
        if len(projects) != len([item for item in named if item or len(named) > 1]):
            raise PabulibError(
                _("Ligne %(line)d : le bulletin de « %(id)s » a un nom de projet vide.") % {"line": line, "id": voter_id}
            )
        for project_id in projects:
            if project_id not in self.projects:
                raise PabulibError(
                    _("Ligne %(line)d : le bulletin de « %(voter)s » nomme le projet « %(project)s », "
                      "absent de PROJECTS.") % {"line": line, "voter": voter_id, "project": project_id}
                )
        if len(set(projects)) != len(projects):
            raise PabulibError(
                _("Ligne %(line)d : le bulletin de « %(id)s » nomme deux fois le même projet.")
                % {"line": line, "id": voter_id}
            )
        if self.vote_type is VoteType.CHOOSE_1 and len(projects) > 1:
            raise PabulibError(
                _("Ligne %(line)d : un bulletin « choose-1 » nomme un seul projet, celui de « %(id)s » en nomme %(count)d.")
                % {"line": line, "id": voter_id, "count": len(projects)}
            )
        points: tuple[Fraction, ...] | None = None
        text = cells.pop("points", "")
        if self.vote_type.has_points:
            items = text.split(",") if text else []
            if len(items) != len(projects):
                raise PabulibError(
                    _("Ligne %(line)d : le bulletin de « %(id)s » nomme %(projects)d projets mais donne %(points)d points.")
                    % {"line": line, "id": voter_id, "projects": len(projects), "points": len(items)}
                )
            def where() -> str:
                return _("Ligne %(line)d, points du bulletin de « %(id)s »") % {"line": line, "id": voter_id}

            points = tuple(parse_number(item, where) for item in items)
            if self.vote_type is VoteType.CUMULATIVE and any(value < 0 for value in points):
                raise PabulibError(
                    _("Ligne %(line)d : le bulletin cumulatif de « %(id)s » a des points négatifs.")
                    % {"line": line, "id": voter_id}
                )
        elif text:
            cells["points"] = text  # kept as written: an ordinal file may carry them for information
        self.ballots.append(Ballot(voter_id, projects, points, cells))

    def check_counts(self, instance: Instance) -> None:
        """META's counts, when given, must be those of the sections: a truncated file is refused."""
        for key, actual, section in (
            ("num_projects", len(instance.projects), "PROJECTS"),
            ("num_votes", len(instance.ballots), "VOTES"),
        ):
            if key in self.meta:
                declared = parse_number(self.meta[key], functools.partial(_meta_field, key))
                if declared != actual:
                    raise PabulibError(
                        _("META annonce %(key)s = %(declared)s mais la section %(section)s en a %(actual)d.")
                        % {"key": key, "declared": self.meta[key], "section": section, "actual": actual}
                    )


def _meta_field(key: str) -> str:
    return _("le champ META « %(key)s »") % {"key": key}


# Writing ------------------------------------------------------------------------------------

# The fields pabulib-checker knows, in the order it expects (pabulib.org/format). Other keys are
# written after them; the checker reports unknown fields, so an export for Pabulib keeps to these.
META_ORDER = (
    "description", "country", "unit", "district", "subunit", "instance", "num_projects", "num_votes",
    "budget", "vote_type", "rule", "date_begin", "date_end", "min_length", "max_length",
    "min_sum_cost", "max_sum_cost", "min_points", "max_points", "min_sum_points", "max_sum_points",
    "default_score", "min_project_cost", "max_project_cost", "min_project_score_threshold",
    "neighborhoods", "subdistricts", "categories", "edition", "language", "currency", "fully_funded",
    "experimental", "comment", "acknowledgments",
)
PROJECT_ORDER = (
    "project_id", "cost", "votes", "score", "name", "category", "beneficiaries", "selected",
    "neighborhood", "subunit", "district", "description", "proposer", "public_id", "latitude",
    "longitude",
)
VOTE_ORDER = ("voter_id", "vote", "points", "age", "sex", "voting_method", "district", "neighborhood",
              "education")


def format_number(value: Fraction) -> str:
    """A number as Pabulib writes it: an integer without decimals, otherwise exact decimals."""
    if value.denominator == 1:
        return str(value.numerator)
    denominator = value.denominator
    for prime in (2, 5):
        while denominator % prime == 0:
            denominator //= prime
    if denominator != 1:
        raise PabulibError(
            _("%(value)s ne s'écrit pas exactement en décimal.") % {"value": value}
        )
    text = format(Decimal(value.numerator) / Decimal(value.denominator), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def _ordered(names: Iterable[str], order: Sequence[str]) -> list[str]:
    names = list(dict.fromkeys(names))
    known = [name for name in order if name in names]
    return known + [name for name in names if name not in order]


def _row(cells: Sequence[str]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=";", lineterminator="\n").writerow(cells)
    return buffer.getvalue()


def counted(instance: Instance) -> tuple[dict[str, int], dict[str, Fraction]]:
    """The `votes` and `score` columns as pabulib-checker counts them from the ballots.

    `votes` is how many ballots name the project; `score` is the points it received (for an
    ordinal ballot of k projects, k points to the first, k-1 to the second...).
    """
    votes = dict.fromkeys(instance.projects, 0)
    score = dict.fromkeys(instance.projects, Fraction(0))
    for ballot in instance.ballots:
        points: Sequence[Fraction]
        if ballot.points is not None:
            points = ballot.points
        else:
            points = [Fraction(len(ballot.projects) - rank) for rank in range(len(ballot.projects))]
        for project_id, given in zip(ballot.projects, points, strict=True):
            votes[project_id] += 1
            score[project_id] += given
    return votes, score


def write_pb(instance: Instance, selected: Iterable[str] | None = None) -> str:
    """The text of a .pb file for the instance; `selected`, if given, fills the selected column.

    The counts in META and the `votes` (and, for ballots with points or ranks, `score`) columns
    are recomputed from the ballots so that the file is consistent whatever the instance held.
    Projects are listed by decreasing score (votes for approval ballots), ties by id: the order
    pabulib-checker's greedy check reads them in, so it breaks ties as counting.py does.
    """
    winners = set(selected) if selected is not None else None
    vote_type = instance.vote_type
    meta = dict(instance.meta)
    meta["num_projects"] = str(len(instance.projects))
    meta["num_votes"] = str(len(instance.ballots))
    meta["budget"] = format_number(instance.budget)
    votes, score = counted(instance)
    with_score = vote_type in (VoteType.CUMULATIVE, VoteType.SCORING, VoteType.ORDINAL)
    ranking = score if with_score else {key: Fraction(value) for key, value in votes.items()}
    order = sorted(instance.projects, key=lambda project_id: (-ranking[project_id], project_id))

    out = io.StringIO()
    out.write("META\n")
    out.write(_row(["key", "value"]))
    for key in _ordered(meta, META_ORDER):
        out.write(_row([key, meta[key]]))

    extra_names = [name for project in instance.projects.values() for name in project.extra]
    names = ["project_id", "cost", "votes", *(["score"] if with_score else [])]
    # pabulib-checker reads the name of every selected project: the column goes with `selected`.
    if winners is not None or any(project.name for project in instance.projects.values()):
        names.append("name")
    if winners is not None:
        names.append("selected")
    header = _ordered([*names, *extra_names], PROJECT_ORDER)
    out.write("PROJECTS\n")
    out.write(_row(header))
    for project_id in order:
        project = instance.projects[project_id]
        values = dict(project.extra)
        values.update({"project_id": project.id, "cost": format_number(project.cost),
                       "votes": str(votes[project_id])})
        if with_score:
            values["score"] = format_number(score[project_id])
        if project.name:
            values["name"] = project.name
        if winners is not None:
            values["selected"] = "1" if project_id in winners else "0"
        out.write(_row([values.get(name, "None") for name in header]))

    extra_names = [name for ballot in instance.ballots for name in ballot.extra]
    names = ["voter_id", "vote", *(["points"] if vote_type.has_points else [])]
    header = _ordered([*names, *extra_names], VOTE_ORDER)
    out.write("VOTES\n")
    out.write(_row(header))
    for ballot in instance.ballots:
        values = dict(ballot.extra)
        values["voter_id"] = ballot.voter_id
        values["vote"] = ",".join(ballot.projects)
        if vote_type.has_points:
            values["points"] = ",".join(format_number(value) for value in ballot.points or ())
        out.write(_row([values.get(name, "None") for name in header]))
    return out.getvalue()
