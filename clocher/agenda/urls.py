from django.urls import URLPattern, URLResolver, path

from . import feeds, views

app_name = "agenda"
urlpatterns: list[URLPattern | URLResolver] = [
    # Resident pages of a commune: `code` is its INSEE code (PortalMiddleware gates the module).
    path("communes/<str:code>/agenda/", views.home, name="home"),
    path("communes/<str:code>/agenda/calendrier/", views.month, name="month"),
    path("communes/<str:code>/agenda/categories/", views.by_category, name="categories"),
    path("communes/<str:code>/agenda/pres-de-moi/", views.near, name="near"),
    # An event's own download sits apart from the territory feeds: an event number and an INSEE
    # code are both digits, so /agenda/<number>.ics could be either.
    path("agenda/evenements/<int:pk>.ics", feeds.event_ics, name="event_ics"),
    path("agenda/<int:pk>/", views.event, name="event"),
    # The name in the address is for people reading it; only the number finds the event.
    path("agenda/<int:pk>/<slug:slug>/", views.event, name="event"),
    # Calendar feeds of a territory (INSEE code or SIREN); not named `code`, which would make the
    # middleware require a commune.
    path("agenda/<str:territory_code>.ics", feeds.territory_ics, name="territory_ics"),
    path("agenda/<str:territory_code>/<str:category>.ics", feeds.category_ics, name="category_ics"),
]
