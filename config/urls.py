from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path

from clocher.core.views import healthz

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("comptes/", include("allauth.urls")),
    path("compte/", include("clocher.accounts.urls")),
    path("gestion/", include("clocher.backoffice.urls")),
    path("api/", include("clocher.api.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("clocher.territories.urls")),
]
if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
