"""Pages where members of an organisation propose events (kept apart from the agenda's own pages)."""

from django.urls import URLPattern, URLResolver, path

from . import proposal_views

app_name = "agenda_proposals"
urlpatterns: list[URLPattern | URLResolver] = [
    path("agenda/proposer/", proposal_views.propose, name="propose"),
    path("agenda/mes-propositions/", proposal_views.my_proposals, name="mine"),
    path("agenda/mes-propositions/<int:pk>/", proposal_views.proposal_detail, name="proposal"),
]
