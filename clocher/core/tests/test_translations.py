"""French is the source language; English comes from locale/en. Pages follow the language cookie."""

from __future__ import annotations

import fcntl
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import Client
from django.utils.translation import trans_real

LOCALE_DIR = Path(settings.BASE_DIR) / "locale"
PO_FILES = sorted(LOCALE_DIR.glob("*/LC_MESSAGES/*.po"))
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|%[sd]")


@pytest.fixture(scope="session")
def compiled_catalogs(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Compiles locale/ when a .mo is missing or older than its .po (`make install` does it too).

    Parallel workers take turns through a lock so that none reads a catalog another is writing.
    """
    lock = tmp_path_factory.getbasetemp().parent / "clocher-compilemessages.lock"
    with lock.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        stale = [po for po in PO_FILES if _is_stale(po)]
        if stale:
            call_command(
                "compilemessages",
                locale=sorted({po.parents[1].name for po in stale}),
                ignore_patterns=[".venv", "node_modules", "var", ".git", ".tools"],
                verbosity=0,
            )
            # A catalog this process loaded before the .mo existed would lack the project's strings.
            trans_real._translations = {}  # type: ignore[attr-defined]  # Django's cache, reset by its own settings signals
            trans_real._default = None  # type: ignore[attr-defined]  # same
        fcntl.flock(handle, fcntl.LOCK_UN)


def _is_stale(po: Path) -> bool:
    mo = po.with_suffix(".mo")
    return not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime


@pytest.fixture
def english_client(gers_client: Client, compiled_catalogs: None) -> Client:
    gers_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return gers_client


@pytest.fixture
def french_client(gers_client: Client, compiled_catalogs: None) -> Client:
    return gers_client


def _page(client: Client, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200, path
    return response.content.decode()


def test_it_serves_the_home_page_in_english_with_the_language_cookie(english_client: Client) -> None:
    html = _page(english_client, "/")
    assert '<html lang="en">' in html
    assert "Skip to content" in html
    assert "Choose my municipality" in html
    assert "Legal notice" in html
    assert "Personal data" in html
    assert "Choisir ma commune" not in html
    assert "Mentions légales" not in html


def test_it_serves_the_commune_chooser_in_english(english_client: Client) -> None:
    html = _page(english_client, "/ma-commune/")
    assert '<html lang="en">' in html
    assert "Municipality or postcode" in html
    assert "For example: Auch or 32000" in html
    # The script's messages come from data-* attributes, so they follow the page's language.
    assert 'data-msg-searching="Finding your location…"' in html
    assert "Commune ou code postal" not in html


def test_it_finds_communes_in_english(english_client: Client) -> None:
    html = _page(english_client, "/ma-commune/?q=Auch")
    assert "1 municipality found" in html
    assert "as my municipality" in html


def test_it_serves_the_legal_notice_in_english(english_client: Client) -> None:
    html = _page(english_client, "/mentions-legales/")
    assert '<html lang="en">' in html
    assert "<h1>Legal notice</h1>" in html
    assert "Publisher" in html
    assert "Hosting" in html
    assert "Hébergement" not in html


def test_it_serves_the_sign_in_page_in_english(english_client: Client) -> None:
    html = _page(english_client, "/comptes/login/")
    assert '<html lang="en">' in html
    assert "Sign In" in html
    assert "Legal notice" in html
    assert "Connexion" not in html


def test_it_speaks_french_by_default(french_client: Client) -> None:
    for path, expected in (
        ("/", "Choisir ma commune"),
        ("/ma-commune/", "Commune ou code postal"),
        ("/mentions-legales/", "<h1>Mentions légales</h1>"),
        ("/comptes/login/", "Connexion"),
    ):
        html = _page(french_client, path)
        assert '<html lang="fr">' in html, path
        assert expected in html, path
        assert "Skip to content" not in html, path


def test_it_switches_to_english_from_the_footer(french_client: Client) -> None:
    html = _page(french_client, "/mentions-legales/")
    assert 'href="/langue/?lang=en&amp;next=/mentions-legales/"' in html
    response = french_client.get("/langue/", {"lang": "en", "next": "/mentions-legales/"})
    assert response.status_code == 302
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    assert "<h1>Legal notice</h1>" in _page(french_client, "/mentions-legales/")


def _entries(po: Path) -> Iterator[dict[str, Any]]:
    """The .po file's entries: flags, and each field (msgid, msgid_plural, msgstr[n]) unquoted."""
    entry: dict[str, Any] = {"flags": set(), "fields": {}}
    key = ""
    for line in [*po.read_text(encoding="utf-8").splitlines(), ""]:
        if not line.strip():
            if entry["fields"]:
                yield entry
            entry, key = {"flags": set(), "fields": {}}, ""
        elif line.startswith("#,"):
            entry["flags"].update(flag.strip() for flag in line[2:].split(","))
        elif line.startswith("#"):
            continue
        elif line.startswith('"'):
            entry["fields"][key] += _unquote(line)
        else:
            key, _, value = line.partition(" ")
            entry["fields"][key] = _unquote(value)


def _unquote(quoted: str) -> str:
    assert quoted.startswith('"') and quoted.endswith('"'), quoted
    return re.sub(r'\\(.)', lambda m: {"n": "\n", "t": "\t"}.get(m.group(1), m.group(1)), quoted[1:-1])


def test_there_is_an_english_catalog() -> None:
    assert LOCALE_DIR / "en" / "LC_MESSAGES" / "django.po" in PO_FILES


@pytest.mark.parametrize("po", PO_FILES, ids=lambda po: str(po.relative_to(LOCALE_DIR)))
def test_every_message_is_translated_and_none_is_fuzzy(po: Path) -> None:
    entries = list(_entries(po))
    assert len(entries) > 100
    fuzzy = [e["fields"].get("msgid") for e in entries if "fuzzy" in e["flags"]]
    assert fuzzy == []
    untranslated = [
        e["fields"]["msgid"]
        for e in entries[1:]  # the first entry is the header
        if not all(value for key, value in e["fields"].items() if key.startswith("msgstr"))
    ]
    assert untranslated == []


@pytest.mark.parametrize("po", PO_FILES, ids=lambda po: str(po.relative_to(LOCALE_DIR)))
def test_translations_keep_every_placeholder(po: Path) -> None:
    wrong = []
    for entry in list(_entries(po))[1:]:
        fields = entry["fields"]
        if "python-format" not in entry["flags"] and "msgid_plural" not in fields:
            continue
        singular = sorted(PLACEHOLDER.findall(fields["msgid"]))
        plural = sorted(PLACEHOLDER.findall(fields.get("msgid_plural", fields["msgid"])))
        for key, value in fields.items():
            if key.startswith("msgstr") and sorted(PLACEHOLDER.findall(value)) not in (singular, plural):
                wrong.append((fields["msgid"], value))
    assert wrong == []
