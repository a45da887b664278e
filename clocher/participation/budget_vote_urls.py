"""Residents' pages of a participatory budget's vote and results (namespace "budgets")."""

from django.urls import URLPattern, URLResolver

urlpatterns: list[URLPattern | URLResolver] = []
