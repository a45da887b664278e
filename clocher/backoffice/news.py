"""Staff pages for news (/gestion/<territory>/actualites/), alerts (/gestion/<territory>/alertes/) and
the news proposed by associations (/gestion/<territory>/actualites/propositions/).

Articles and alerts: editors and admins of a territory. Proposals: moderators and admins of the
commune. As in views.py, the territory comes from the URL through `access_staff_territory` first
(404 across territories and portals), then the object is looked up within that territory only.
One form writes and publishes an article, so a secretary publishes from a phone in a few screens.
"""

from __future__ import annotations

import datetime

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.urls import URLPattern, URLResolver, path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from clocher.news import proposals as proposal_services
from clocher.news import services
from clocher.news.feed import article_url
from clocher.news.forms import (
    PUBLISH_DRAFT,
    PUBLISH_LATER,
    AlertForm,
    ArticleForm,
    AttachmentForm,
    DecisionForm,
)
from clocher.news.models import Alert, Article, ArticleKind, Attachment
from clocher.organisations.models import ReviewStatus
from clocher.territories.content import Status
from clocher.territories.http import PortalRequest
from clocher.territories.models import Role, Territory
from clocher.territories.services import EDIT_ROLES

from .views import _access, _page, _report, audience_choices, staff_view

ARTICLES_PAGE_SIZE = 30
MODERATION_ROLES = (Role.ADMIN, Role.MODERATOR)

def _article_of(territory: Territory, article_id: int) -> Article:
    # Proposals waiting for a moderator are not the editors' to edit: they have their own page.
    article = (
        Article.objects.filter(pk=article_id, territory=territory)
        .exclude(review_status__in=(ReviewStatus.PENDING, ReviewStatus.REFUSED))
        .first()
    )
    if article is None:
        raise Http404(_("Actualité introuvable."))
    return article


def _attachment_of(article: Article, attachment_id: int) -> Attachment:
    attachment = Attachment.objects.filter(pk=attachment_id, article=article).select_related("article").first()
    if attachment is None:
        raise Http404(_("Pièce jointe introuvable."))
    return attachment


def _add_rejection(form: ArticleForm | AlertForm | AttachmentForm | DecisionForm, exc: services.NewsRejected) -> None:
    field = getattr(exc, "field", None)
    form.add_error(field if field in form.fields else None, str(exc))


@staff_view
def article_list(request: PortalRequest, territory_id: int) -> HttpResponse:
    territory = _access(request, territory_id, EDIT_ROLES)
    articles = (
        Article.objects.filter(territory=territory)
        .exclude(review_status__in=(ReviewStatus.PENDING, ReviewStatus.REFUSED))
        .select_related("organisation").order_by("-created_at", "-pk")
    )
    status = request.GET.get("etat", "")
    if status in Status.values:
        articles = articles.filter(status=status)
    kind = request.GET.get("type", "")
    if kind in ArticleKind.values:
        articles = articles.filter(kind=kind)
    page = Paginator(articles, ARTICLES_PAGE_SIZE).get_page(request.GET.get("page"))
    return _page(request, "backoffice/news/list.html", territory, page=page, status=status, kind=kind,
                 statuses=Status.choices, kinds=ArticleKind.choices,
                 pending_count=proposal_services.pending_proposals(territory).count())


def _save_publication(request: PortalRequest, form: ArticleForm, article: Article) -> Article:
    choice = form.cleaned_data["publication"]
    if choice == PUBLISH_DRAFT:
        if article.status != Status.DRAFT:
            article = services.unpublish_article(request.user, article)
        return article
    if choice == PUBLISH_LATER:
        moment = form.publish_moment()
        if article.status == Status.SCHEDULED and moment is not None and article.published_at is not None and (
            abs(article.published_at - moment) < datetime.timedelta(minutes=1)
        ):
            return article  # the same date, shown to the minute: nothing to schedule again
        return services.publish_article(request.user, article, moment)
    if article.status == Status.PUBLISHED:
        return article
    return services.publish_article(request.user, article)


def _saved_message(article: Article) -> str:
    if article.status == Status.PUBLISHED:
        return _("« %(title)s » est publié.") % {"title": article.title}
    if article.status == Status.SCHEDULED and article.published_at is not None:
        return _("« %(title)s » sera publié le %(date)s.") % {
            "title": article.title, "date": timezone.localtime(article.published_at).strftime("%d/%m/%Y %H:%M"),
        }
    return _("« %(title)s » est enregistré en brouillon.") % {"title": article.title}


@staff_view
def article_create(request: PortalRequest, territory_id: int) -> HttpResponse:
    territory = _access(request, territory_id, EDIT_ROLES)
    form = ArticleForm(request.POST if request.method == "POST" else None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            # One transaction per service: a refused publication leaves a draft the person can fix.
            article = services.create_article(request.user, territory, form.article_data(),
                                              image=form.cleaned_data.get("image"))
        except services.NewsRejected as exc:
            _add_rejection(form, exc)
        else:
            try:
                article = _save_publication(request, form, article)
            except services.NewsRejected as exc:
                messages.error(request, str(exc))
            else:
                messages.success(request, _saved_message(article))
            return redirect("backoffice:news_edit", territory_id=territory.pk, article_id=article.pk)
    return _page(request, "backoffice/news/form.html", territory, form=form, article=None)


def _edit_page(request: PortalRequest, territory: Territory, article: Article, form: ArticleForm,
               attachment_form: AttachmentForm | None = None) -> HttpResponse:
    public_url = article_url(article) if article.status in (Status.PUBLISHED, Status.SCHEDULED) else ""
    return _page(request, "backoffice/news/form.html", territory, form=form, article=article,
                 attachments=list(article.attachments.all()), attachment_form=attachment_form or AttachmentForm(),
                 public_url=public_url, max_attachments=services.MAX_ATTACHMENTS)


@staff_view
def article_edit(request: PortalRequest, territory_id: int, article_id: int) -> HttpResponse:
    territory = _access(request, territory_id, EDIT_ROLES)
    article = _article_of(territory, article_id)
    if request.method == "POST":
        form = ArticleForm(request.POST, request.FILES or None, article=article)
        if form.is_valid():
            try:
                article = services.update_article(
                    request.user, article, form.article_data(), image=form.cleaned_data.get("image"),
                    remove_image=bool(form.cleaned_data.get("remove_image")),
                )
                article = _save_publication(request, form, article)
            except services.NewsRejected as exc:
                _add_rejection(form, exc)
            else:
                messages.success(request, _saved_message(article))
                return redirect("backoffice:news_edit", territory_id=territory.pk, article_id=article.pk)
        article.refresh_from_db()
    else:
        form = ArticleForm(article=article)
    return _edit_page(request, territory, article, form)


@staff_view
def article_archive(request: PortalRequest, territory_id: int, article_id: int) -> HttpResponse:
    territory = _access(request, territory_id, EDIT_ROLES)
    article = _article_of(territory, article_id)
    if request.method == "POST":
        _report(request, lambda: services.archive_article(request.user, article),
                _("« %(title)s » est archivé : il n'apparaît plus sur le portail.") % {"title": article.title})
        return redirect("backoffice:news", territory_id=territory.pk)
    return _page(request, "backoffice/news/confirm.html", territory, article=article,
                 question=_("Archiver « %(title)s » ?") % {"title": article.title},
                 button=_("Archiver l'actualité"),
                 explanation=_("L'actualité n'apparaîtra plus sur le portail ni dans ses flux. Elle reste "
                               "enregistrée : vous pourrez la publier à nouveau."),
                 back=_article_back(territory, article))


def _article_back(territory: Territory, article: Article) -> str:
    return reverse("backoffice:news_edit", kwargs={"territory_id": territory.pk, "article_id": article.pk})


@staff_view
def attachment_add(request: PortalRequest, territory_id: int, article_id: int) -> HttpResponse:
    territory = _access(request, territory_id, EDIT_ROLES)
    article = _article_of(territory, article_id)
    attachment_form = AttachmentForm(request.POST if request.method == "POST" else None, request.FILES or None)
    if request.method == "POST" and attachment_form.is_valid():
        try:
            services.add_attachment(request.user, article, attachment_form.cleaned_data["file"],
                                    title=attachment_form.cleaned_data.get("title") or "")
        except services.NewsRejected as exc:
            _add_rejection(attachment_form, exc)
        else:
            messages.success(request, _("Le document est joint."))
            return redirect("backoffice:news_edit", territory_id=territory.pk, article_id=article.pk)
    return _edit_page(request, territory, article, ArticleForm(article=article), attachment_form)


@staff_view
def attachment_remove(request: PortalRequest, territory_id: int, article_id: int, attachment_id: int) -> HttpResponse:
    territory = _access(request, territory_id, EDIT_ROLES)
    article = _article_of(territory, article_id)
    attachment = _attachment_of(article, attachment_id)
    if request.method == "POST":
        _report(request, lambda: services.remove_attachment(request.user, attachment), _("Le document est retiré."))
        return redirect("backoffice:news_edit", territory_id=territory.pk, article_id=article.pk)
    return _page(request, "backoffice/news/confirm.html", territory, article=article,
                 question=_("Retirer le document « %(title)s » ?") % {"title": attachment.title},
                 button=_("Retirer le document"), back=_article_back(territory, article))


@staff_view
def attachment_move(request: PortalRequest, territory_id: int, article_id: int, attachment_id: int) -> HttpResponse:
    """POST sens=haut or sens=bas moves the document one step; a GET only goes back to the article."""
    territory = _access(request, territory_id, EDIT_ROLES)
    article = _article_of(territory, article_id)
    attachment = _attachment_of(article, attachment_id)
    if request.method == "POST":
        offset = -1 if request.POST.get("sens") == "haut" else 1
        _report(request, lambda: services.move_attachment(request.user, attachment, offset),
                _("L'ordre des documents est enregistré."))
    return redirect("backoffice:news_edit", territory_id=territory.pk, article_id=article.pk)


# Alerts

def _alert_of(territory: Territory, alert_id: int) -> Alert:
    alert = Alert.objects.filter(pk=alert_id, territory=territory).first()
    if alert is None:
        raise Http404(_("Alerte introuvable."))
    return alert


@staff_view
def alert_list(request: PortalRequest, territory_id: int) -> HttpResponse:
    territory = _access(request, territory_id, EDIT_ROLES)
    now = timezone.now()
    alerts = Alert.objects.filter(territory=territory).annotate(targets=Count("audience"))
    running = alerts.filter(expires_at__gt=now).order_by("published_at", "pk")
    over = alerts.filter(expires_at__lte=now).order_by("-expires_at", "-pk")[:20]
    return _page(request, "backoffice/news/alerts.html", territory, running=list(running), over=list(over), now=now)


@staff_view
def alert_create(request: PortalRequest, territory_id: int) -> HttpResponse:
    territory = _access(request, territory_id, EDIT_ROLES)
    form = AlertForm(request.POST if request.method == "POST" else None, audience=audience_choices(territory))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            alert = services.raise_alert(
                request.user, territory, data["title"], data.get("message") or "", data["severity"],
                data.get("starts_at"), ends_at=data["ends_at"], audience=list(data.get("audience") or []),
                link=data.get("link") or "",
            )
        except services.NewsRejected as exc:
            _add_rejection(form, exc)
        else:
            if alert.status == Status.SCHEDULED:
                messages.success(request, _("L'alerte « %(title)s » est programmée.") % {"title": alert.title})
            else:
                messages.success(request, _("L'alerte « %(title)s » est en cours : elle s'affiche sur l'accueil "
                                            "des habitants concernés.") % {"title": alert.title})
            return redirect("backoffice:news_alerts", territory_id=territory.pk)
    return _page(request, "backoffice/news/alert_form.html", territory, form=form)


@staff_view
def alert_end(request: PortalRequest, territory_id: int, alert_id: int) -> HttpResponse:
    territory = _access(request, territory_id, EDIT_ROLES)
    alert = _alert_of(territory, alert_id)
    if request.method == "POST":
        _report(request, lambda: services.end_alert(request.user, alert),
                _("L'alerte « %(title)s » est terminée.") % {"title": alert.title})
        return redirect("backoffice:news_alerts", territory_id=territory.pk)
    return _page(request, "backoffice/news/confirm.html", territory,
                 question=_("Terminer l'alerte « %(title)s » maintenant ?") % {"title": alert.title},
                 button=_("Terminer l'alerte"),
                 explanation=_("Elle disparaît aussitôt de l'accueil des habitants."),
                 back=reverse("backoffice:news_alerts", kwargs={"territory_id": territory.pk}))


# Proposals

@staff_view
def proposal_list(request: PortalRequest, territory_id: int) -> HttpResponse:
    territory = _access(request, territory_id, MODERATION_ROLES)
    return _page(request, "backoffice/news/proposals.html", territory,
                 pending=list(proposal_services.pending_proposals(territory)),
                 decided=list(proposal_services.decided_proposals(territory)))


@staff_view
def proposal_detail(request: PortalRequest, territory_id: int, article_id: int) -> HttpResponse:
    territory = _access(request, territory_id, MODERATION_ROLES)
    article = (
        Article.objects.filter(pk=article_id, territory=territory).exclude(review_status=ReviewStatus.NONE)
        .select_related("organisation", "author").first()
    )
    if article is None:
        raise Http404(_("Proposition introuvable."))
    form = DecisionForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        accept = request.POST.get("decision") == "accept"
        try:
            if accept:
                proposal_services.accept_article_proposal(request.user, article, form.cleaned_data["message"])
            else:
                proposal_services.refuse_article_proposal(request.user, article, form.cleaned_data["message"])
        except services.NewsRejected as exc:
            _add_rejection(form, exc)
        else:
            messages.success(request, _("La proposition est acceptée : l'actualité est publiée.") if accept
                             else _("La proposition est refusée ; le proposant verra votre message."))
            return redirect("backoffice:news_proposals", territory_id=territory.pk)
    return _page(request, "backoffice/news/proposal.html", territory, article=article, form=form)


urlpatterns: list[URLPattern | URLResolver] = [
    path("<int:territory_id>/actualites/", article_list, name="news"),
    path("<int:territory_id>/actualites/nouvelle/", article_create, name="news_create"),
    path("<int:territory_id>/actualites/propositions/", proposal_list, name="news_proposals"),
    path("<int:territory_id>/actualites/propositions/<int:article_id>/", proposal_detail, name="news_proposal"),
    path("<int:territory_id>/actualites/<int:article_id>/", article_edit, name="news_edit"),
    path("<int:territory_id>/actualites/<int:article_id>/archiver/", article_archive, name="news_archive"),
    path("<int:territory_id>/actualites/<int:article_id>/documents/", attachment_add, name="news_attachment_add"),
    path(
        "<int:territory_id>/actualites/<int:article_id>/documents/<int:attachment_id>/retirer/",
        attachment_remove, name="news_attachment_remove",
    ),
    path(
        "<int:territory_id>/actualites/<int:article_id>/documents/<int:attachment_id>/deplacer/",
        attachment_move, name="news_attachment_move",
    ),
    path("<int:territory_id>/alertes/", alert_list, name="news_alerts"),
    path("<int:territory_id>/alertes/nouvelle/", alert_create, name="news_alert_create"),
    path("<int:territory_id>/alertes/<int:alert_id>/terminer/", alert_end, name="news_alert_end"),
]
