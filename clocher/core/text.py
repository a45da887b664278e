"""Text helpers shared by every app: names typed by people, cells of exported spreadsheets."""

import re
import unicodedata

_SEPARATORS = re.compile(r"[\s\-'’_.,/()]+")


def fold(text: str) -> str:
    """Lower-case, strip accents and turn hyphens, apostrophes and runs of spaces into one space.

    "Saint-Cricq", "saint cricq" and "SAINT CRICQ" all fold to "saint cricq", so a search matches
    however the name was typed. "St" is not expanded: the official names spell "Saint" out.
    """
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    stripped = stripped.replace("œ", "oe").replace("Œ", "oe").replace("æ", "ae").replace("Æ", "ae")
    return _SEPARATORS.sub(" ", stripped.lower()).strip()


# A spreadsheet runs a cell starting with one of these as a formula (CSV injection: a report's
# address or a poll's answer written "=HYPERLINK(...)").
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_cell(value: object) -> str:
    """A value for a CSV cell that a spreadsheet shows as text, never runs: a leading quote
    neutralises what would start a formula. None is an empty cell."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text
