"""Residents' pages of participatory budgets: the budget, its projects, proposals, follow-up (this
list) and the vote and results (budget_vote_urls)."""

from django.urls import URLPattern, URLResolver

from .budget_vote_urls import urlpatterns as vote_urlpatterns

app_name = "budgets"
urlpatterns: list[URLPattern | URLResolver] = []
urlpatterns += vote_urlpatterns
