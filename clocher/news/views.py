"""The resident's pages of the news: a commune's articles by kind, an article, current alerts, an
alert, and the proposals of association members.

Pages under a commune code answer 404 where the commune has the news off (PortalMiddleware checks
it); an article's and an alert's pages are found through the portal's visible news only. Every page
works without JavaScript: the works map only adds to the dates and streets written out.
"""

from __future__ import annotations

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpResponse, HttpResponsePermanentRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from clocher.territories.http import PortalRequest
from clocher.territories.models import Territory
from clocher.territories.selectors import access_commune, ancestors

from . import proposals
from .feed import article_url
from .forms import ProposalForm
from .models import ArticleKind
from .selectors import (
    KIND_SLUGS,
    SLUG_OF_KIND,
    access_alert,
    access_article,
    alert_is_current,
    articles_for,
    current_alerts,
    filter_kind,
)

PER_PAGE = 20
KIND_TABS = (
    ("", gettext_lazy("Tout")),
    ("actualites", gettext_lazy("Actualités")),
    ("travaux", gettext_lazy("Travaux")),
    ("conseil", gettext_lazy("Conseil municipal")),
    ("bulletins", gettext_lazy("Bulletins")),
)


@require_GET
def news_home(request: PortalRequest, code: str) -> HttpResponse:
    """The module's entry page for a commune: what it, its EPCI and its département publish for it."""
    commune = access_commune(request.portal, code)
    slug = request.GET.get("type", "")
    kind = KIND_SLUGS.get(slug)
    if kind is None:
        slug = ""
    articles = filter_kind(articles_for(request.portal, ancestors(commune)), kind)
    page = Paginator(articles, PER_PAGE).get_page(request.GET.get("page", "1")[:8])
    feed_query = f"?type={slug}" if slug else ""
    return render(request, "news/home.html", {
        "commune": commune,
        "page": page,
        "articles": [(article, article_url(article)) for article in page.object_list],
        "tabs": [(value, label) for value, label in KIND_TABS],
        "slug": slug,
        "rss_url": reverse("news:rss", kwargs={"territory_code": commune.code}) + feed_query,
        "atom_url": reverse("news:atom", kwargs={"territory_code": commune.code}) + feed_query,
        "alert_count": current_alerts(ancestors(commune)).count(),
    })


def _geometry_json(value: object) -> str:
    return json.dumps(value, separators=(",", ":")) if value else ""


@require_GET
def article(request: PortalRequest, pk: int, slug: str | None = None) -> HttpResponse:
    found = access_article(request.portal, pk)
    canonical = article_url(found)
    if request.path != canonical:
        return HttpResponsePermanentRedirect(canonical)
    commune = found.territory if found.territory.kind == "commune" else None
    return render(request, "news/article.html", {
        "article": found,
        "commune": commune,
        "kind_slug": SLUG_OF_KIND.get(ArticleKind(found.kind), ""),
        "attachments": list(found.attachments.all()),
        "is_works": found.kind == ArticleKind.WORKS,
        "geometry_json": _geometry_json(found.works_geometry),
        "share_url": request.build_absolute_uri(canonical),
    })


@require_GET
def alerts(request: PortalRequest, code: str) -> HttpResponse:
    commune = access_commune(request.portal, code)
    return render(request, "news/alerts.html", {
        "commune": commune,
        "alerts": list(current_alerts(ancestors(commune))),
    })


@require_GET
def alert(request: PortalRequest, pk: int) -> HttpResponse:
    found = access_alert(request.portal, pk)
    return render(request, "news/alert.html", {"alert": found, "is_current": alert_is_current(found)})


def _proposal_querysets(request: PortalRequest) -> tuple[object, object]:
    choices = proposals.proposal_choices(request.user, request.portal)
    organisation_ids = [organisation.pk for organisation, _communes in choices]
    commune_ids = {commune.pk for _org, communes in choices for commune in communes}
    from clocher.organisations.models import Organisation

    return (
        Organisation.objects.filter(pk__in=organisation_ids).order_by("name"),
        Territory.objects.filter(pk__in=commune_ids).order_by("name"),
    )


@login_required
def propose(request: PortalRequest) -> HttpResponse:
    """A member of an association proposes an actualité to one of the communes it acts in."""
    organisations, communes = _proposal_querysets(request)
    form = ProposalForm(
        request.POST if request.method == "POST" else None, request.FILES or None,
        organisations=organisations, communes=communes,
    )
    if request.method == "POST" and form.is_valid():
        try:
            proposals.propose_article(
                request.user, request.portal, form.cleaned_data["organisation"], form.cleaned_data["commune"],
                form.article_data(), image=form.cleaned_data.get("image"),
            )
        except proposals.ProposalRefused as exc:
            form.add_error(exc.field if exc.field in form.fields else None, str(exc))
        else:
            messages.success(request, _("Merci ! Votre proposition est envoyée à la commune, "
                                        "qui l'acceptera ou la refusera."))
            return redirect("news:my_proposals")
    return render(request, "news/propose.html", {
        "form": form,
        "can_propose": organisations.exists(),  # type: ignore[attr-defined]
        "left_today": proposals.proposals_left_today(request.user),
    })


@login_required
def my_proposals(request: PortalRequest) -> HttpResponse:
    items = [
        (item, article_url(item) if item.review_status == "accepted" and item.status == "published" else "")
        for item in proposals.proposals_of(request.user, request.portal)[:100]
    ]
    return render(request, "news/mine.html", {"items": items})

