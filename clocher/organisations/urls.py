from django.urls import URLPattern, URLResolver, path

from . import views

app_name = "organisations"
urlpatterns: list[URLPattern | URLResolver] = [
    path("associations/", views.organisation_list, name="list"),
    path("associations/mon-espace/", views.my_organisations, name="mine"),
    path("associations/mon-espace/inscrire/", views.request_registration, name="request"),
    path("associations/mon-espace/<int:pk>/", views.manage, name="manage"),
    path("associations/mon-espace/<int:pk>/membres/", views.members, name="members"),
    path(
        "associations/mon-espace/<int:pk>/membres/<int:membership_id>/",
        views.member_action, name="member_action",
    ),
    path("associations/mon-espace/<int:pk>/quitter/", views.leave, name="leave"),
    # The name in the address is for people reading it; only the number finds the organisation.
    path("associations/<int:pk>/", views.organisation_detail, name="detail"),
    path("associations/<int:pk>/<slug:slug>/", views.organisation_detail, name="detail"),
]
