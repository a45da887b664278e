from functools import cache
from typing import Any

from django.http import HttpRequest

from .selectors import unread_count


def inbox(request: HttpRequest) -> dict[str, Any]:
    """The unread count of the header's inbox link: a callable, so only a page that shows the header
    runs its one COUNT, and only once however often the page asks."""

    @cache
    def inbox_unread() -> int:
        return unread_count(getattr(request, "user", None))

    return {"inbox_unread": inbox_unread}
