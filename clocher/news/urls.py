from django.urls import URLPattern, URLResolver, path

from . import feeds, views

app_name = "news"
urlpatterns: list[URLPattern | URLResolver] = [
    path("communes/<str:code>/actualites/", views.news_home, name="home"),
    path("communes/<str:code>/alertes/", views.alerts, name="alerts"),
    path("actualites/proposer/", views.propose, name="propose"),
    path("actualites/propositions/", views.my_proposals, name="my_proposals"),
    path("actualites/<int:pk>/", views.article, name="article"),
    # The title in the address is for people reading it; only the number finds the article.
    path("actualites/<int:pk>/<slug:slug>/", views.article, name="article"),
    # Not `code`: PortalMiddleware would take it for a commune, and feeds exist for EPCIs and
    # départements too; the feed checks the module itself.
    path("actualites/<str:territory_code>.rss", feeds.TerritoryNewsRss(), name="rss"),
    path("actualites/<str:territory_code>.atom", feeds.TerritoryNewsAtom(), name="atom"),
    path("alertes/<int:pk>/", views.alert, name="alert"),
]
