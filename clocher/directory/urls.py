from django.urls import URLPattern, URLResolver, path

from . import markets, proposal_views, views

app_name = "directory"
urlpatterns: list[URLPattern | URLResolver] = [
    path("communes/<str:code>/lieux/", views.places, name="places"),
    path("communes/<str:code>/contacts-utiles/", views.contacts, name="contacts"),
    path("communes/<str:code>/marches/", markets.markets, name="markets"),
    path("lieux/", views.all_places, name="all_places"),
    path("lieux/carte/", views.map_view, name="map"),
    path("lieux/proposer/", proposal_views.propose, name="propose"),
    path("lieux/propositions/", proposal_views.my_proposals, name="my_proposals"),
    path("lieux/<int:pk>/", views.place, name="place"),
    # The name in the address is for people reading it; only the number finds the place.
    path("lieux/<int:pk>/<slug:slug>/", views.place, name="place"),
]
