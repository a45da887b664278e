"""Residents' pages of participatory budgets: the budget, its projects, proposals, follow-up (this
list) and the vote and results (budget_vote_urls)."""

from django.urls import URLPattern, URLResolver, path

from . import budget_views
from .budget_vote_urls import urlpatterns as vote_urlpatterns

app_name = "budgets"
_P = "budgets/<int:pk>/projets/<int:project_id>/"
urlpatterns: list[URLPattern | URLResolver] = [
    path("communes/<str:code>/budgets/", budget_views.budget_list, name="list"),
    path("budgets/<int:pk>/", budget_views.budget_detail, name="detail"),
    path("budgets/<int:pk>/proposer/", budget_views.project_propose, name="propose"),
    path("budgets/<int:pk>/mes-projets/", budget_views.my_projects, name="mine"),
    path(_P, budget_views.project_detail, name="project"),
    path(_P + "soutien/", budget_views.project_support, name="support"),
    path(_P + "commenter/", budget_views.project_comment, name="comment"),
    path(_P + "modifier/", budget_views.project_edit, name="edit"),
    path(_P + "retirer/", budget_views.project_withdraw, name="withdraw"),
]
urlpatterns += vote_urlpatterns
