"""Template helpers of the news pages."""

from __future__ import annotations

import nh3
from django import template
from django.utils.safestring import SafeString, mark_safe

from clocher.directory.services import (
    DESCRIPTION_ATTRIBUTES,
    DESCRIPTION_TAGS,
    DESCRIPTION_URL_SCHEMES,
)

register = template.Library()


@register.filter
def article_html(html: str) -> SafeString:
    """An article's stored HTML, sanitised again at display: the Django admin or an import may have
    stored anything, so the page never trusts the stored text."""
    if not html:
        return mark_safe("")  # noqa: S308  # empty
    cleaned = nh3.clean(
        html, tags=DESCRIPTION_TAGS, attributes=DESCRIPTION_ATTRIBUTES, url_schemes=DESCRIPTION_URL_SCHEMES,
        link_rel="noopener noreferrer nofollow", strip_comments=True,
    )
    return mark_safe(cleaned)  # noqa: S308  # nh3 just cleaned it
