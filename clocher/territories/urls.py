from django.urls import path

from . import pwa, views

urlpatterns = [
    path("", views.home, name="home"),
    path("ma-commune/", views.choose_commune, name="choose_commune"),
    path("ma-commune/choisir/", views.choose_commune_submit, name="choose_commune_submit"),
    path("communes/<str:code>/", views.commune, name="commune"),
    path("territoires/<str:kind>/<str:code>/", views.territory, name="territory"),
    path("hors-ligne/", views.offline, name="offline"),
    path("mentions-legales/", views.legal_notice, name="legal_notice"),
    path("donnees-personnelles/", views.privacy, name="privacy"),
    path("accessibilite/", views.accessibility, name="accessibility"),
    path("theme.css", pwa.theme_css, name="theme_css"),
    path("manifest.webmanifest", pwa.manifest, name="manifest"),
    path("icons/<int:size>.png", pwa.icon, name="icon"),
    path("icons/maskable-<int:size>.png", pwa.maskable_icon, name="maskable_icon"),
    path("sw.js", pwa.service_worker, name="service_worker"),
]
