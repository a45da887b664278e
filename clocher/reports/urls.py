from django.urls import URLPattern, URLResolver, path

from . import views

app_name = "reports"
urlpatterns: list[URLPattern | URLResolver] = [
    path("communes/<str:code>/signalements/", views.home, name="home"),
    path("communes/<str:code>/signalements.geojson", views.geojson, name="geojson"),
    path("signalements/nouveau/", views.new, name="new"),
    path("signalements/<int:pk>/", views.detail, name="detail"),
    path("signalements/<int:pk>/soutenir/", views.support, name="support"),
]
