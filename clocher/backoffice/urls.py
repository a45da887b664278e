from django.urls import URLPattern, URLResolver, path

from . import views

app_name = "backoffice"
urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.dashboard, name="dashboard"),
    path("invitation/<str:token>/", views.invitation, name="accept_invitation"),
    path("<int:territory_id>/", views.territory_overview, name="territory"),
    path("<int:territory_id>/collectivite/", views.edit_collectivity, name="collectivity"),
    path("<int:territory_id>/modules/", views.modules, name="modules"),
    path("<int:territory_id>/equipe/", views.staff, name="staff"),
    path(
        "<int:territory_id>/equipe/invitations/<int:invitation_id>/annuler/",
        views.revoke, name="revoke_invitation",
    ),
    path("<int:territory_id>/equipe/roles/<int:role_id>/retirer/", views.remove_role, name="remove_role"),
    path("<int:territory_id>/journal/", views.audit_log, name="audit_log"),
]
