"""Residents' pages of a participatory budget's vote and results (namespace "budgets")."""

from django.urls import URLPattern, URLResolver, path

from . import budget_vote_views

urlpatterns: list[URLPattern | URLResolver] = [
    path("budgets/<int:pk>/vote/", budget_vote_views.vote, name="vote"),
    path("budgets/<int:pk>/resultats/", budget_vote_views.results, name="results"),
    path("budgets/<int:pk>/resultats.csv", budget_vote_views.results_csv_view, name="results_csv"),
    path("budgets/<int:pk>/resultats.pb", budget_vote_views.results_pb, name="results_pb"),
]
