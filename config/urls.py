import re

from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path
from django.views.static import serve

from clocher.core.views import healthz, switch_language

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("comptes/", include("allauth.urls")),
    path("compte/", include("clocher.accounts.urls")),
    path("gestion/", include("clocher.backoffice.urls")),
    path("api/", include("clocher.api.urls")),
    path("", include("clocher.directory.urls")),
    path("", include("clocher.agenda.urls")),
    path("", include("clocher.agenda.proposal_urls")),
    path("", include("clocher.news.urls")),
    path("", include("clocher.organisations.urls")),
    path("", include("clocher.reports.urls")),
    path("", include("clocher.participation.urls")),
    path("", include("clocher.participation.poll_urls")),
    path("", include("clocher.participation.consultation_urls")),
    path("", include("clocher.participation.budget_urls")),
    path("", include("clocher.notifications.urls")),
    path("", include("clocher.notifications.push_urls")),
    path("open311/v2/", include("clocher.reports.open311_urls")),
    path("langue/", switch_language, name="switch_language"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("clocher.territories.urls")),
]
if settings.SERVE_MEDIA:
    # Uploaded media are re-encoded images only; SecurityMiddleware adds nosniff to every answer.
    urlpatterns.insert(
        0,
        re_path(
            rf"^{re.escape(settings.MEDIA_URL.lstrip('/'))}(?P<path>.*)$",
            serve,
            {"document_root": settings.MEDIA_ROOT},
        ),
    )
