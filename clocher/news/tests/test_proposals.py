"""Associations propose news to their communes; the commune's moderator accepts or refuses it."""

from __future__ import annotations

import pytest
from django.urls import reverse

from clocher.news import proposals
from clocher.news.models import Article
from clocher.news.proposals import ProposalRefused
from clocher.news.selectors import visible_articles
from clocher.organisations.models import OrganisationStatus, ReviewStatus
from clocher.territories.content import Status
from clocher.territories.models import AuditEntry

from .conftest import client_for

pytestmark = pytest.mark.django_db


def _propose(erin, gers_portal, foyer_rural, auch, **data):
    return proposals.propose_article(erin, gers_portal, foyer_rural, auch, {"title": "Loto du foyer", **data})


def test_a_member_proposes_a_pending_draft_nobody_sees(erin, foyer_rural, auch, gers_portal):
    article = _propose(erin, gers_portal, foyer_rural, auch, body="Samedi à 20 h.")
    assert article.status == Status.DRAFT and article.review_status == ReviewStatus.PENDING
    assert article.organisation == foyer_rural and article.territory == auch and article.kind == "news"
    assert not visible_articles(gers_portal).exists()


def test_non_members_other_communes_and_suspended_organisations_are_refused(
    erin, resident, foyer_rural, auch, marciac, gers_portal
):
    with pytest.raises(ProposalRefused):
        _propose(resident, gers_portal, foyer_rural, auch)
    with pytest.raises(ProposalRefused) as elsewhere:
        _propose(erin, gers_portal, foyer_rural, marciac)
    assert elsewhere.value.field == "commune"
    with pytest.raises(ProposalRefused):
        proposals.propose_article(erin, gers_portal, foyer_rural, auch, {"title": "Loto", "kind": "works"})
    foyer_rural.status = OrganisationStatus.SUSPENDED
    foyer_rural.save()
    with pytest.raises(ProposalRefused):
        _propose(erin, gers_portal, foyer_rural, auch)
    assert not Article.objects.exists()


def test_a_commune_outside_the_portal_is_refused_and_not_offered(erin, foyer_rural, auch, marciac, grand_auch):
    from clocher.territories.models import Portal

    # A portal of the Grand Auch only; the association also acts in Marciac, outside it.
    grand_auch_portal = Portal.objects.create(root=grand_auch, name="Grand Auch", short_name="Auch")
    foyer_rural.communes.add(marciac)
    with pytest.raises(ProposalRefused):
        proposals.propose_article(erin, grand_auch_portal, foyer_rural, marciac, {"title": "Loto"})
    choices = proposals.proposal_choices(erin, grand_auch_portal)
    assert [[c.name for c in communes] for _organisation, communes in choices] == [["Auch"]]
    assert not Article.objects.exists()


def test_ten_proposals_a_day_at_most(erin, foyer_rural, auch, gers_portal, monkeypatch):
    monkeypatch.setattr(proposals, "PROPOSALS_PER_DAY", 2)
    _propose(erin, gers_portal, foyer_rural, auch)
    _propose(erin, gers_portal, foyer_rural, auch)
    with pytest.raises(ProposalRefused):
        _propose(erin, gers_portal, foyer_rural, auch)


def test_the_moderator_accepts_it_and_it_shows_with_the_association_as_author(
    erin, mona, foyer_rural, auch, gers_portal, gers_client
):
    article = _propose(erin, gers_portal, foyer_rural, auch)
    proposals.accept_article_proposal(mona, article, "Merci !")
    article.refresh_from_db()
    assert article.status == Status.PUBLISHED and article.review_status == ReviewStatus.ACCEPTED
    assert article.reviewed_by == mona
    assert AuditEntry.objects.filter(action="news.proposal.accept").exists()
    page = gers_client.get(reverse("news:article", kwargs={"pk": article.pk}), follow=True).content.decode()
    assert "Proposé par Foyer rural d" in page
    with pytest.raises(ProposalRefused):
        proposals.refuse_article_proposal(mona, article, "Trop tard")


def test_refusing_needs_a_message_and_a_moderator_of_the_commune(erin, mona, bob, foyer_rural, auch, gers_portal):
    article = _propose(erin, gers_portal, foyer_rural, auch)
    with pytest.raises(ProposalRefused):
        proposals.refuse_article_proposal(bob, article, "Non")  # an editor does not moderate
    with pytest.raises(ProposalRefused) as empty:
        proposals.refuse_article_proposal(mona, article, "  ")
    assert empty.value.field == "message"
    proposals.refuse_article_proposal(mona, article, "Pas une actualité de la commune.")
    article.refresh_from_db()
    assert article.review_status == ReviewStatus.REFUSED and article.status == Status.DRAFT
    with pytest.raises(ProposalRefused):
        proposals.accept_article_proposal(mona, article)


def test_an_editor_cannot_publish_a_pending_proposal_around_the_moderator(erin, bob, foyer_rural, auch, gers_portal):
    from clocher.news.services import NewsRejected, publish_article

    article = _propose(erin, gers_portal, foyer_rural, auch)
    with pytest.raises(NewsRejected):
        publish_article(bob, article)


def test_the_proposal_pages_propose_and_show_the_outcome(erin, mona, foyer_rural, auch, gers_portal):
    client = client_for(erin)
    form = client.get(reverse("news:propose"))
    assert form.status_code == 200 and "Foyer rural" in form.content.decode()
    response = client.post(reverse("news:propose"), {
        "organisation": foyer_rural.pk, "commune": auch.pk, "title": "Vide-grenier", "body": "Dimanche.",
    })
    assert response.status_code == 302 and response["Location"] == reverse("news:my_proposals")
    article = Article.objects.get(title="Vide-grenier")
    proposals.refuse_article_proposal(mona, article, "Déjà annoncé dans l'agenda.")
    mine = client.get(reverse("news:my_proposals")).content.decode()
    assert "Vide-grenier" in mine and "Refusée" in mine and "Déjà annoncé dans l" in mine


def test_a_signed_in_person_without_organisation_is_told_so(resident, gers_portal):
    page = client_for(resident).get(reverse("news:propose")).content.decode()
    assert "Seuls les membres" in page


def test_the_proposal_pages_need_a_sign_in(gers_client):
    assert gers_client.get(reverse("news:propose")).status_code == 302
    assert gers_client.get(reverse("news:my_proposals")).status_code == 302


def test_another_portal_sees_none_of_my_proposals(erin, foyer_rural, auch, gers_portal, orne_portal):
    from conftest import ORNE_HOST

    _propose(erin, gers_portal, foyer_rural, auch)
    assert proposals.proposals_of(erin, orne_portal).count() == 0
    page = client_for(erin, ORNE_HOST).get(reverse("news:my_proposals")).content.decode()
    assert "Loto du foyer" not in page


def test_download_my_data_holds_what_i_proposed(erin, foyer_rural, auch, gers_portal):
    from clocher.core.modules import registry

    _propose(erin, gers_portal, foyer_rural, auch)
    module = registry.get("news")
    assert module is not None and module.personal_data is not None
    data = module.personal_data(erin)
    assert data["articles"][0]["title"] == "Loto du foyer"
    assert data["articles"][0]["organisation"] == "Foyer rural d'Auch"
    assert data["articles"][0]["review_status"] == "pending"
