"""Residents' pages of consultations."""

from django.urls import URLPattern, URLResolver, path

from . import consultation_views as views

app_name = "consultations"
urlpatterns: list[URLPattern | URLResolver] = [
    path("communes/<str:code>/consultations/", views.consultation_list, name="list"),
    path("consultations/<int:pk>/", views.consultation_detail, name="detail"),
    path("consultations/<int:pk>/page-<int:number>/", views.consultation_page, name="page"),
    path("consultations/<int:pk>/relecture/", views.consultation_review, name="review"),
    path("consultations/<int:pk>/merci/", views.consultation_done, name="done"),
    path("consultations/<int:pk>/resultats/", views.consultation_results, name="results"),
]
