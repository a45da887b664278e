"""Module pages answer 404 in a commune that has the module off, as if they did not exist there."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from django.http import Http404, HttpRequest, HttpResponseBase
from django.utils.translation import gettext as _

from clocher.core.modules import registry

from .models import Portal, Territory
from .selectors import access_commune, is_module_enabled

View = TypeVar("View", bound=Callable[..., HttpResponseBase])


def check_module(portal: Portal, code: str, name: str) -> Territory:
    """The commune of this portal with this code if it has the module on, else 404."""
    commune = access_commune(portal, code)
    if registry.get(name) is None or not is_module_enabled(portal, commune, name):
        raise Http404(_("Ce service n'est pas proposé dans cette commune."))
    return commune


def require_module(name: str) -> Callable[[View], View]:
    """Decorates a resident view whose URL has the commune code as `code`.

    The view runs only when the commune is in the request's portal and has module `name` on;
    it finds the commune as `request.commune`, so it need not fetch it again.
    """

    def decorator(view: View) -> View:
        @functools.wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            portal: Portal | None = getattr(request, "portal", None)
            code = kwargs.get("code")
            if portal is None or not isinstance(code, str):
                raise Http404(_("Ce service n'est pas proposé ici."))
            request.commune = check_module(portal, code, name)  # type: ignore[attr-defined]
            return view(request, *args, **kwargs)

        return wrapper  # type: ignore[return-value]  # same signature as the view it wraps

    return decorator
