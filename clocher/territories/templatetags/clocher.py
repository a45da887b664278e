"""Small template helpers for the resident's pages."""

from __future__ import annotations

import re

from django import template
from django.utils.html import linebreaks
from django.utils.safestring import SafeString, mark_safe

from clocher.territories.services import sanitize_description

register = template.Library()


@register.filter
def tel_href(phone: str) -> str:
    """A French phone number as a tel: link target ("05 62 61 21 00" → "tel:+33562612100")."""
    digits = re.sub(r"[^\d+]", "", phone or "")
    if digits.startswith("00"):
        digits = "+" + digits[2:]
    elif digits.startswith("0") and len(digits) == 10:
        digits = "+33" + digits[1:]
    return f"tel:{digits}"


@register.filter
def website_label(url: str) -> str:
    """A web address as people read it, without the scheme or a trailing slash."""
    return re.sub(r"^https?://(www\.)?", "", url or "").rstrip("/")


@register.filter
def rich_text(text: str) -> SafeString:
    """A collectivity's presentation as HTML: sanitised again at display, whatever path stored it.

    The staff form stores sanitised HTML, but the Django admin or an import may store anything, so
    the page never trusts the stored text. Plain text keeps its paragraphs and line breaks.
    """
    if not text:
        return mark_safe("")  # noqa: S308  # empty
    if "<" not in text:
        return mark_safe(linebreaks(text, autoescape=True))  # noqa: S308  # escaped by linebreaks
    return mark_safe(sanitize_description(text))  # noqa: S308  # nh3 just cleaned it
