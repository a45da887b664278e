from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _


def healthz(request: HttpRequest) -> JsonResponse:
    """A few bytes of JSON for load balancers; also the floor the benchmarks compare pages with."""
    return JsonResponse({"status": "ok"})


def switch_language(request: HttpRequest) -> HttpResponse:
    """Switch the interface language from a plain link, then go back to the page.

    A link is one tap where Django's set_language needs a form, a select and a button, and a page
    with no form carries no CSRF token, so anonymous pages can be cached. Changing a language
    preference is harmless, so a GET that sets the cookie is acceptable here.
    """
    language = request.GET.get("lang", "")
    if language not in dict(settings.LANGUAGES):
        return HttpResponseBadRequest(_("Langue inconnue."), content_type="text/plain; charset=utf-8")
    next_url = request.GET.get("next", "/")
    if not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        next_url = "/"
    response = redirect(next_url)
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=365 * 24 * 60 * 60,
        samesite="Lax",
        httponly=True,
        secure=request.is_secure(),
    )
    return response
