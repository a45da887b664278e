from django.urls import URLPattern, URLResolver, path

from . import push_views

app_name = "push"
urlpatterns: list[URLPattern | URLResolver] = [
    path("notifications/appareil/", push_views.device, name="device"),
    path("notifications/appareil/cle.json", push_views.application_key, name="key"),
    path("notifications/appareil/abonnement/", push_views.subscribe, name="subscribe"),
    path("notifications/appareil/desabonnement/", push_views.unsubscribe, name="unsubscribe"),
]
