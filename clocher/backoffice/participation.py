"""Staff pages for verifying residents (/gestion/<territory>/participation/).

Admins and editors of a commune, or of an EPCI or département for the communes inside it, print
batches of one-time residence codes as a PDF, and verify at the counter a person they have seen
with a proof of address. As everywhere in /gestion/, the territory comes from the URL through
`access_staff_territory` first (404 across territories and portals); batches, residents and
verifications are then looked up under that territory only.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.urls import URLPattern, URLResolver, path, reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from clocher.participation import codes, selectors, services
from clocher.participation.forms import CodeBatchForm, InPersonForm, ResidentSearchForm
from clocher.participation.models import Verification
from clocher.territories.http import PortalRequest
from clocher.territories.models import Territory
from clocher.territories.selectors import communes_within

from .views import _access, _page, _report, staff_view

ROLES = services.VERIFICATION_ROLES
BATCHES_SHOWN = 50


def _pdf(request: PortalRequest, issued: services.IssuedBatch) -> HttpResponse:
    batch = issued.batch
    url = request.build_absolute_uri(reverse("participation:verify"))
    expires_on = timezone.localtime(batch.expires_at).date()
    slips = [
        codes.Slip(commune=batch.commune.name, code=code, url=url, expires_on=expires_on,
                   number=number, total=batch.size, reference=str(batch.pk))
        for number, code in enumerate(issued.codes, start=1)
    ]
    response = HttpResponse(codes.render_pdf(slips), content_type="application/pdf")
    response["Content-Disposition"] = (
        f'attachment; filename="codes-{batch.commune.code}-lot-{batch.pk}.pdf"'
    )
    return response


@staff_view
@never_cache
def code_batches(request: PortalRequest, territory_id: int) -> HttpResponse:
    """The batches made so far, and the form that makes one and answers with its PDF."""
    territory = _access(request, territory_id, ROLES)
    communes = communes_within(territory)
    form = CodeBatchForm(request.POST or None, communes=communes, initial={"commune": communes.first()})
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                issued = services.issue_residence_codes(
                    request.user, territory, form.cleaned_data["commune"],
                    count=form.cleaned_data["count"], valid_days=form.cleaned_data["valid_days"],
                )
            except services.VerificationRefused as exc:
                form.add_error(None, str(exc))
            else:
                # The codes exist in clear only in this answer: they are never stored or shown again.
                return _pdf(request, issued)
        status = 400
    response = _page(
        request, "backoffice/participation/codes.html", territory, form=form,
        batches=list(selectors.batches_of(territory)[:BATCHES_SHOWN]), now=timezone.now(),
    )
    response.status_code = status
    return response


@staff_view
def code_batch_revoke(request: PortalRequest, territory_id: int, batch_id: int) -> HttpResponse:
    territory = _access(request, territory_id, ROLES)
    batch = selectors.access_batch(territory, batch_id)
    if request.method == "POST":
        _report(request, lambda: services.revoke_batch(request.user, territory, batch),
                _("Les codes inutilisés du lot n° %(batch)s ne sont plus valables.") % {"batch": batch.pk})
    return redirect("backoffice:participation_codes", territory_id=territory.pk)


@staff_view
@never_cache
def counter(request: PortalRequest, territory_id: int) -> HttpResponse:
    """Find a person by e-mail address or exact name, see their verifications, verify them."""
    territory = _access(request, territory_id, ROLES)
    search = ResidentSearchForm(request.GET or None)
    residents = selectors.search_residents(territory, search.cleaned_data["q"]) if search.is_valid() else []
    communes = set(communes_within(territory).values_list("pk", flat=True))
    rows = [
        (person, [v for v in selectors.verifications_of(person) if v.commune_id in communes])
        for person in residents
    ]
    return _page(
        request, "backoffice/participation/counter.html", territory, search=search, rows=rows,
        searched=search.is_bound and search.is_valid(), verify_form=InPersonForm(),
    )


def _back_to_counter(territory: Territory, query: str) -> HttpResponse:
    response = redirect("backoffice:participation_counter", territory_id=territory.pk)
    if query:
        response["Location"] += "?" + urlencode({"q": query})
    return response


@staff_view
def counter_verify(request: PortalRequest, territory_id: int, user_id: int) -> HttpResponse:
    territory = _access(request, territory_id, ROLES)
    resident = selectors.access_resident(territory, user_id)
    if request.method != "POST":
        return redirect("backoffice:participation_counter", territory_id=territory.pk)
    form = InPersonForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Cochez la case pour confirmer que vous avez vu un justificatif de domicile."))
    else:
        _report(request, lambda: services.verify_in_person(request.user, territory, resident),
                _("%(person)s est vérifié(e) comme habitant(e) de %(commune)s.")
                % {"person": resident.email, "commune": resident.home_commune})
    return _back_to_counter(territory, request.POST.get("q", "")[:254])


@staff_view
def counter_remove(request: PortalRequest, territory_id: int, verification_id: int) -> HttpResponse:
    territory = _access(request, territory_id, ROLES)
    verification = (
        Verification.objects.filter(pk=verification_id, commune__in=communes_within(territory))
        .select_related("user", "commune").first()
    )
    if verification is None:
        raise Http404(_("Vérification introuvable."))
    if request.method == "POST":
        _report(request, lambda: services.remove_verification(request.user, territory, verification),
                _("La vérification de %(person)s est retirée.") % {"person": verification.user.email})
    return _back_to_counter(territory, request.POST.get("q", "")[:254])


_P = "<int:territory_id>/participation/"
urlpatterns: list[URLPattern | URLResolver] = [
    path(_P + "codes/", code_batches, name="participation_codes"),
    path(_P + "codes/<int:batch_id>/annuler/", code_batch_revoke, name="participation_codes_revoke"),
    path(_P + "guichet/", counter, name="participation_counter"),
    path(_P + "guichet/<int:user_id>/verifier/", counter_verify, name="participation_counter_verify"),
    path(_P + "guichet/verifications/<int:verification_id>/retirer/", counter_remove,
         name="participation_counter_remove"),
]
