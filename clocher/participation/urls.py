from django.urls import URLPattern, URLResolver, path

from . import views

app_name = "participation"
urlpatterns: list[URLPattern | URLResolver] = [
    path("communes/<str:code>/participation/", views.participation_home, name="home"),
    path("participation/verifier/", views.verify, name="verify"),
]
