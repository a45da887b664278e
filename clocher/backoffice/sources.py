"""Staff pages: a territory's sources of events, synced on a schedule (/gestion/<territory>/sources/).

The views are clocher.imports.staff's. The import-linter contract keeps `backoffice` and `imports`
independent (neither imports the other), so the routes are mounted here by dotted path, the way
config/urls.py mounts every app, rather than by importing the module.
"""

from django.urls import URLPattern, URLResolver, include, path

urlpatterns: list[URLPattern | URLResolver] = [
    # No app_name in clocher.imports.staff: its names join the "backoffice" namespace.
    path("", include("clocher.imports.staff")),
]
