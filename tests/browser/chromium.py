"""Debian's Chromium as browser tests and `make bench` launch it: never a downloaded browser."""

from pathlib import Path
from typing import Any

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
]
# A phone, since most residents read Clocher on one.
PHONE = {"viewport": {"width": 390, "height": 844}, "locale": "fr-FR", "timezone_id": "Europe/Paris"}


def launch_chromium(playwright: Any) -> Any:
    return playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
