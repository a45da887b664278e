from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse

from .selectors import portal_for_host


class PortalMiddleware:
    """Finds the portal from the Host header, like Django's sites framework does for sites.

    An unknown host gets a plain explanation (404), never a crash. The Django admin and the health
    check answer on any allowed host so an operator can set the first portal up.
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
        return self.get_response(request)
