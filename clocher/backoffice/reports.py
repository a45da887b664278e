"""Staff pages: reports (filled in by the work on issue 6)."""

from django.urls import URLPattern, URLResolver

urlpatterns: list[URLPattern | URLResolver] = []
