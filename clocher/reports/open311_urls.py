"""Open311 GeoReport v2 under /open311/v2/; the extension picks JSON or XML.

Every other address under the prefix, an unknown format included, is the standard JSON error.
"""

from django.urls import URLPattern, URLResolver, re_path

from . import open311

app_name = "open311"
_FMT = r"\.(?P<fmt>[A-Za-z0-9]+)$"
urlpatterns: list[URLPattern | URLResolver] = [
    re_path(r"^discovery" + _FMT, open311.discovery, name="discovery"),
    re_path(r"^services" + _FMT, open311.service_list, name="services"),
    re_path(r"^services/(?P<code>[^/]+?)" + _FMT, open311.service_definition, name="service"),
    re_path(r"^requests" + _FMT, open311.requests, name="requests"),
    re_path(r"^requests/(?P<pk>[^/]+?)" + _FMT, open311.request_detail, name="request"),
    re_path(r"^tokens/(?P<token>[^/]+?)" + _FMT, open311.token, name="token"),
    # [\s\S], not ".": an encoded newline in the address must land here too.
    re_path(r"^(?P<path>[\s\S]*)$", open311.not_found, name="not-found"),
]
