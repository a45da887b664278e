from django.urls import URLPattern, URLResolver, path

from . import views

app_name = "accounts"
urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.profile, name="profile"),
    path("ma-commune/", views.set_home_commune, name="set_home_commune"),
    path("ma-commune/retirer/", views.clear_home_commune, name="clear_home_commune"),
    path("suivre/", views.follow_commune, name="follow_commune"),
    path("ne-plus-suivre/", views.unfollow_commune, name="unfollow_commune"),
    path("mes-donnees.json", views.export_data, name="export"),
    path("supprimer/", views.delete_account, name="delete"),
]
