"""Open311 GeoReport v2 under /open311/v2/ (filled in by the work on issue 6)."""

from django.urls import URLPattern, URLResolver

app_name = "open311"
urlpatterns: list[URLPattern | URLResolver] = []
