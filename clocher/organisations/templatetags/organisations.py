"""Template helpers of organisations' pages."""

from __future__ import annotations

import phonenumbers
from django import template

register = template.Library()


@register.filter
def phone_display(value: str) -> str:
    """An E.164 number as people read it: "+33562612100" → "05 62 61 21 00"; foreign ones in full."""
    try:
        number = phonenumbers.parse(value or "", "FR")
    except phonenumbers.NumberParseException:
        return value
    fmt = phonenumbers.PhoneNumberFormat.NATIONAL if number.country_code == 33 else phonenumbers.PhoneNumberFormat.INTERNATIONAL
    return phonenumbers.format_number(number, fmt)
