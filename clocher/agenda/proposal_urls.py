"""Pages where members of an organisation propose events (kept apart from the agenda's own pages)."""

from django.urls import URLPattern, URLResolver

app_name = "agenda_proposals"
urlpatterns: list[URLPattern | URLResolver] = []
