from functools import cache
from typing import Any

from django.http import HttpRequest

from .home import chosen_commune, module_links, modules_for
from .pwa import theme_version
from .selectors import staff_territories


def portal(request: HttpRequest) -> dict[str, Any]:
    """The portal and what the layout shows on every page: the chosen commune and its services.

    The commune and the menu are callables, which templates call only when they use them, so a
    page that does not show the layout (a JSON error, an htmx fragment) costs no query.
    """
    current = getattr(request, "portal", None)
    if current is None:
        return {"portal": None}

    @cache
    def current_commune() -> Any:
        return chosen_commune(request)

    @cache
    def resident_menu() -> list[dict[str, Any]]:
        commune = current_commune()
        if commune is None:
            return []
        return module_links(modules_for(request, commune), commune)

    @cache
    def is_staff_member() -> bool:
        # A link to the staff interface for whoever holds a role in this portal.
        return staff_territories(request.user, current).exists()

    return {
        "portal": current,
        "is_staff_member": is_staff_member,
        "current_commune": current_commune,
        "resident_menu": resident_menu,
        "theme_version": theme_version(current),
    }
