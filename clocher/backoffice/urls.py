from django.urls import URLPattern, URLResolver, path

from . import (
    budget_votes,
    budgets,
    consultations,
    contacts,
    events,
    news,
    organisations,
    participation,
    places,
    polls,
    reports,
    sources,
    views,
)

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
    path("<int:territory_id>/lieux/", places.place_list, name="places"),
    path("<int:territory_id>/lieux/nouveau/", places.place_create, name="place_create"),
    path("<int:territory_id>/lieux/<int:place_id>/", places.place_edit, name="place_edit"),
    path("<int:territory_id>/lieux/<int:place_id>/publier/", places.place_publish, name="place_publish"),
    path("<int:territory_id>/lieux/<int:place_id>/archiver/", places.place_archive, name="place_archive"),
    path("<int:territory_id>/lieux/<int:place_id>/photos/", places.place_photo_add, name="place_photo_add"),
    path(
        "<int:territory_id>/lieux/<int:place_id>/photos/<int:photo_id>/retirer/",
        places.place_photo_remove, name="place_photo_remove",
    ),
    # After "retirer/", which it would otherwise swallow: the view answers 404 to other words.
    path(
        "<int:territory_id>/lieux/<int:place_id>/photos/<int:photo_id>/<str:direction>/",
        places.place_photo_move, name="place_photo_move",
    ),
    path("<int:territory_id>/contacts/", contacts.contact_list, name="contacts"),
    path("<int:territory_id>/contacts/nouveau/", contacts.contact_create, name="contact_create"),
    path("<int:territory_id>/contacts/<int:contact_id>/", contacts.contact_edit, name="contact_edit"),
    path(
        "<int:territory_id>/contacts/<int:contact_id>/supprimer/",
        contacts.contact_delete, name="contact_delete",
    ),
    path("<int:territory_id>/propositions/", places.proposal_list, name="proposals"),
    path("<int:territory_id>/propositions/<int:proposal_id>/", places.proposal_detail, name="proposal"),
]
# Each staff area keeps its own routes in its module.
urlpatterns += (
    events.urlpatterns + news.urlpatterns + organisations.urlpatterns + sources.urlpatterns + reports.urlpatterns
    + participation.urlpatterns + polls.urlpatterns + consultations.urlpatterns + budgets.urlpatterns
    + budget_votes.urlpatterns
)
