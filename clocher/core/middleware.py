from collections.abc import Callable, Iterable
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import render
from django.utils.translation import gettext as _

NUL = "\x00"


class RejectNulMiddleware:
    """Answers 400 to a URL or a form carrying a NUL character, and drops cookies that carry one.

    PostgreSQL refuses NUL in text, so one %00 in a code, a search or a form field reached the
    database as a 500. No French name, code or text contains it, so the request is refused at the
    door, once for every page and endpoint. A cookie with one is treated as absent rather than
    refused: otherwise a damaged cookie would break every page for that browser.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        for name, value in list(request.COOKIES.items()):
            if NUL in name or NUL in value:
                del request.COOKIES[name]
        if NUL in request.path or _has_nul(request.GET.lists()):
            return self._refuse()
        is_form = request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data")
        if request.method == "POST" and is_form and _has_nul(request.POST.lists()):
            return self._refuse()
        return self.get_response(request)

    @staticmethod
    def _refuse() -> HttpResponse:
        return HttpResponseBadRequest(
            _("La demande contient un caractère nul, qui n'a sa place dans aucune adresse ni aucun formulaire."),
            content_type="text/plain; charset=utf-8",
        )


def _has_nul(lists: Iterable[tuple[str, list[Any]]]) -> bool:
    # Uploaded files are values too; only text can carry the NUL that PostgreSQL refuses.
    return any(
        NUL in key or any(isinstance(value, str) and NUL in value for value in values)
        for key, values in lists
    )


class RequestSizeMiddleware:
    """Answers 413, with a page that says why, to a request body larger than MAX_REQUEST_BYTES.

    Checked from the Content-Length header before anything reads the body, so a 2 GB upload sent
    straight to the application server (no proxy in front, as with `make run`) is neither parsed
    nor written to a temporary file. The proxy's own limit (docs/deploy.md) is the same figure.
    Django reads no more of a body than its Content-Length says (a chunked body without one is
    read as empty), so the header is all there is to check.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return HttpResponseBadRequest(
                _("En-tête Content-Length invalide."), content_type="text/plain; charset=utf-8"
            )
        limit: int = settings.MAX_REQUEST_BYTES
        if length > limit:
            return render(request, "413.html", {"limit": limit}, status=413)
        return self.get_response(request)

