"""Staff pages: news (filled in by the work on issue 5)."""

from django.urls import URLPattern, URLResolver

urlpatterns: list[URLPattern | URLResolver] = []
