from django.urls import URLPattern, URLResolver, path

from . import views

app_name = "notifications"
urlpatterns: list[URLPattern | URLResolver] = [
    path("notifications/", views.preferences, name="preferences"),
    path("notifications/suivre/", views.follow, name="follow"),
    path("notifications/ne-plus-suivre/", views.unfollow, name="unfollow"),
    path("notifications/boite/", views.inbox, name="inbox"),
    path("notifications/boite/tout-lu/", views.mark_all_read, name="mark_all_read"),
    path("notifications/boite/<int:pk>/", views.open_entry, name="open"),
    path("notifications/desabonnement/<str:token>/", views.unsubscribe, name="unsubscribe"),
]
