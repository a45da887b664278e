from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils import translation

from clocher.core.modules import registry

from .gating import check_module
from .selectors import portal_for_host


class PortalMiddleware:
    """Finds the portal from the Host header, like Django's sites framework does for sites.

    An unknown host gets a plain explanation (404), never a crash. The Django admin and the health
    check answer on any allowed host so an operator can set the first portal up.

    It also gates module pages: a view in one of a module's `url_namespaces` whose URL carries the
    commune code as `code` answers 404 where that commune has the module off, so modules need not
    remember to check it themselves.
    """

    PORTAL_FREE_PREFIXES = ("/admin/", "/static/", "/healthz")

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.portal = portal_for_host(request.get_host())  # type: ignore[attr-defined]
        if request.portal is None and not request.path.startswith(self.PORTAL_FREE_PREFIXES):  # type: ignore[attr-defined]
            response = TemplateResponse(
                request, "territories/unknown_portal.html", {"host": request.get_host()}, status=404
            )
            response.render()
            return response
        self._activate_chosen_language(request)
        return self.get_response(request)

    @staticmethod
    def _activate_chosen_language(request: HttpRequest) -> None:
        """French unless the person chose otherwise (the language switch, or their account).

        The browser's Accept-Language alone does not switch: a page whose text is French while
        <html lang> says English misleads screen readers, and many residents' phones are set to
        English without them reading it. The language switch sets Django's language cookie.
        """
        if settings.LANGUAGE_COOKIE_NAME in request.COOKIES:
            return
        language = settings.LANGUAGE_CODE
        user: Any = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            chosen = getattr(user, "language", "")
            if chosen in dict(settings.LANGUAGES):
                language = chosen
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()

    def process_view(
        self,
        request: HttpRequest,
        view_func: Callable[..., Any],
        view_args: tuple[Any, ...],
        view_kwargs: dict[str, Any],
    ) -> None:
        portal = getattr(request, "portal", None)
        code = view_kwargs.get("code")
        match = request.resolver_match
        if portal is None or not isinstance(code, str) or match is None or not match.namespaces:
            return
        namespaces = set(match.namespaces)
        for module in registry.all():
            if namespaces.intersection(module.url_namespaces):
                check_module(portal, code, module.name)
