"""The site's URLs with the two resident proposal pages, routed as clocher/directory/urls.py will route
them. The first "directory" namespace wins, so tests using this pass before and after those lines are
added there; then this module and the `urls` marks that name it can go."""

from django.urls import include, path

from clocher.directory import proposal_views
from clocher.directory import urls as directory_urls
from config.urls import urlpatterns as site_urlpatterns

urlpatterns = [
    path("", include(([
        path("lieux/proposer/", proposal_views.propose, name="propose"),
        path("lieux/propositions/", proposal_views.my_proposals, name="my_proposals"),
        *directory_urls.urlpatterns,
    ], "directory"))),
    *site_urlpatterns,
]
