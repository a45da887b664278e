"""Small template helpers for the resident's pages."""

from __future__ import annotations

import re

from django import template

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
