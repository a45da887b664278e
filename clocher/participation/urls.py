from django.urls import URLPattern, URLResolver, path

from . import views

app_name = "participation"
urlpatterns: list[URLPattern | URLResolver] = [
    path("participation/verifier/", views.verify, name="verify"),
]
