"""Text helpers shared by every app that searches names typed by people."""

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
