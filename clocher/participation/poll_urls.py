from django.urls import URLPattern, URLResolver, path

from . import poll_views

app_name = "polls"
urlpatterns: list[URLPattern | URLResolver] = [
    path("communes/<str:code>/sondages/", poll_views.poll_list, name="list"),
    path("sondages/<int:pk>/", poll_views.poll_detail, name="detail"),
    path("sondages/<int:pk>/resultats/", poll_views.poll_results, name="results"),
    path("sondages/<int:pk>/resultats.csv", poll_views.poll_results_csv, name="results_csv"),
]
