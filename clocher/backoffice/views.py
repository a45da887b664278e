"""The staff interface (/gestion/): a collectivity's information, modules, team and journal.

Every page that concerns a territory takes it from the URL and goes through
`access_staff_territory` first: a role on one territory opens nothing on a sibling or on another
portal's territory, and both answer 404 exactly as a territory that does not exist. Views parse the
request, call one territories service, and redirect after a POST.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import Any, cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from clocher.accounts.models import User
from clocher.accounts.security import second_factor_required
from clocher.core.modules import registry
from clocher.territories.http import PortalRequest
from clocher.territories.models import (
    AuditEntry,
    Collectivity,
    Invitation,
    Role,
    StaffRole,
    Territory,
    TerritoryKind,
)
from clocher.territories.selectors import (
    access_staff_territory,
    collectivity_of,
    enabled_modules,
    is_in_portal,
    roles_of,
    staff_territories,
)
from clocher.territories.services import (
    EDIT_ROLES,
    ActionRefused,
    accept_invitation,
    can_accept,
    invite_staff,
    remove_staff_role,
    revoke_invitation,
    set_module_enabled,
    update_collectivity,
)

from .forms import CollectivityForm, InvitationForm, ModulesForm

ADMIN_ONLY = (Role.ADMIN,)
AUDIT_PAGE_SIZE = 30

View = Callable[..., HttpResponse]


def staff_view(view: View) -> View:
    """Sign-in first, then the second factor that admins must have, then the page."""
    return login_required(second_factor_required(view))


def _access(request: PortalRequest, territory_id: int, roles: Iterable[str] = tuple(Role.values)) -> Territory:
    return access_staff_territory(request.user, request.portal, territory_id, roles=roles)


def _page(request: PortalRequest, template: str, territory: Territory, **context: Any) -> HttpResponse:
    """Renders a territory page with what the staff navigation needs."""
    my_roles = roles_of(request.user, territory)
    return render(request, template, {
        "territory": territory,
        "collectivity": collectivity_of(territory),
        "my_roles": sorted(str(Role(role).label) for role in my_roles),
        "is_admin": Role.ADMIN in my_roles,
        "can_edit": bool(my_roles & set(EDIT_ROLES)),
        "can_moderate": bool(my_roles & {Role.ADMIN, Role.MODERATOR}),
        "can_handle_reports": bool(my_roles & {Role.ADMIN, Role.EDITOR, Role.AGENT}),
        **context,
    })


def _report(request: PortalRequest, action: Callable[[], object], success: str) -> bool:
    """Runs a staff service and tells the person how it went: its refusal, or `success`."""
    try:
        action()
    except ActionRefused as exc:
        messages.error(request, str(exc))
        return False
    messages.success(request, success)
    return True


@staff_view
def dashboard(request: PortalRequest) -> HttpResponse:
    territories = list(staff_territories(request.user, request.portal))
    labels: dict[int, list[str]] = defaultdict(list)
    for territory_id, role in (
        StaffRole.objects.filter(user=cast(User, request.user), territory__in=territories)
        .order_by("role").values_list("territory_id", "role")
    ):
        labels[territory_id].append(str(Role(role).label))
    rows = [(territory, labels[territory.pk]) for territory in territories]
    return render(request, "backoffice/dashboard.html", {"rows": rows})


@staff_view
def territory_overview(request: PortalRequest, territory_id: int) -> HttpResponse:
    territory = _access(request, territory_id)
    joined = collectivity_of(territory) is not None
    is_admin = Role.ADMIN in roles_of(request.user, territory)
    modules = enabled_modules(request.portal, territory) if joined else []
    return _page(
        request, "backoffice/territory.html", territory,
        staff_count=StaffRole.objects.filter(territory=territory).values("user").distinct().count(),
        modules=modules,
        module_names={module.name for module in modules},
        registry_size=len(registry.switchable()),
        latest_entries=(
            AuditEntry.objects.filter(territory=territory)[:5] if is_admin else AuditEntry.objects.none()
        ),
        pending_invitations=(
            _pending_invitations(territory).count() if is_admin else 0
        ),
    )


@staff_view
def edit_collectivity(request: PortalRequest, territory_id: int) -> HttpResponse:
    territory = _access(request, territory_id, EDIT_ROLES)
    collectivity = collectivity_of(territory)
    if collectivity is None:
        return _page(request, "backoffice/collectivity.html", territory, form=None)
    if request.method == "POST":
        form = CollectivityForm(request.POST, request.FILES, instance=collectivity)
        if form.is_valid():
            try:
                entry = update_collectivity(
                    request.user, collectivity, form.text_data(), form.image_changes()
                )
            except ActionRefused as exc:
                form.add_error(None, str(exc))
            else:
                if entry is None:
                    messages.info(request, _("Aucune modification à enregistrer."))
                else:
                    messages.success(request, _("Les informations de %(name)s sont enregistrées.")
                                     % {"name": territory.name})
                return redirect("backoffice:collectivity", territory_id=territory.pk)
        collectivity.refresh_from_db()
    else:
        form = CollectivityForm(instance=collectivity)
    return _page(request, "backoffice/collectivity.html", territory, form=form)


@staff_view
def modules(request: PortalRequest, territory_id: int) -> HttpResponse:
    territory = _access(request, territory_id, ADMIN_ONLY)
    joined = collectivity_of(territory) is not None
    enabled = {module.name for module in enabled_modules(request.portal, territory)}
    # Not `request.POST or None`: unticking every box posts an empty form, which must still count.
    form = ModulesForm(request.POST if request.method == "POST" else None, enabled=enabled)
    if request.method == "POST" and joined and form.is_valid():
        changed = 0
        try:
            for module in registry.switchable():
                wanted = bool(form.cleaned_data.get(module.name))
                if wanted != (module.name in enabled) and set_module_enabled(
                    request.user, territory, module.name, wanted
                ):
                    changed += 1
        except ActionRefused as exc:
            messages.error(request, str(exc))
        else:
            if changed:
                messages.success(request, _("Les modules sont enregistrés."))
            else:
                messages.info(request, _("Aucune modification à enregistrer."))
        return redirect("backoffice:modules", territory_id=territory.pk)
    return _page(request, "backoffice/modules.html", territory, form=form, joined=joined)


def _pending_invitations(territory: Territory) -> Any:
    return Invitation.objects.filter(
        territory=territory, accepted_at=None, revoked_at=None, expires_at__gt=timezone.now()
    ).select_related("invited_by")


@staff_view
def staff(request: PortalRequest, territory_id: int) -> HttpResponse:
    territory = _access(request, territory_id, ADMIN_ONLY)
    form = InvitationForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            invitation = invite_staff(
                request.user, territory, form.cleaned_data["email"], form.cleaned_data["role"],
                base_url=request.build_absolute_uri("/"),
            )
        except ActionRefused as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Invitation envoyée à %(email)s.") % {"email": invitation.email})
            return redirect("backoffice:staff", territory_id=territory.pk)
    return _page(
        request, "backoffice/staff.html", territory,
        form=form,
        roles=StaffRole.objects.filter(territory=territory).select_related("user").order_by(
            "user__email", "role"
        ),
        invitations=_pending_invitations(territory),
    )


@staff_view
def revoke(request: PortalRequest, territory_id: int, invitation_id: int) -> HttpResponse:
    territory = _access(request, territory_id, ADMIN_ONLY)
    invitation = Invitation.objects.filter(pk=invitation_id, territory=territory).first()
    if invitation is None:
        raise Http404(_("Invitation introuvable."))
    if request.method == "POST":
        _report(request, lambda: revoke_invitation(request.user, invitation),
                _("L'invitation de %(email)s est annulée.") % {"email": invitation.email})
        return redirect("backoffice:staff", territory_id=territory.pk)
    return _page(request, "backoffice/confirm.html", territory,
                 question=_("Annuler l'invitation envoyée à %(email)s ?") % {"email": invitation.email},
                 button=_("Annuler l'invitation"))


@staff_view
def remove_role(request: PortalRequest, territory_id: int, role_id: int) -> HttpResponse:
    territory = _access(request, territory_id, ADMIN_ONLY)
    staff_role = StaffRole.objects.filter(pk=role_id, territory=territory).select_related("user").first()
    if staff_role is None:
        raise Http404(_("Rôle introuvable."))
    if request.method == "POST":
        _report(request, lambda: remove_staff_role(request.user, staff_role), _("Le rôle est retiré."))
        if staff_role.user_id == request.user.pk and Role.ADMIN not in roles_of(request.user, territory):
            # Someone who removed their own admin role can no longer see the team page.
            return redirect("backoffice:dashboard")
        return redirect("backoffice:staff", territory_id=territory.pk)
    return _page(request, "backoffice/confirm.html", territory,
                 question=_("Retirer le rôle « %(role)s » à %(email)s ?")
                 % {"role": staff_role.get_role_display(), "email": staff_role.user.email},
                 button=_("Retirer le rôle"))


@staff_view
def audit_log(request: PortalRequest, territory_id: int) -> HttpResponse:
    territory = _access(request, territory_id, ADMIN_ONLY)
    paginator = Paginator(AuditEntry.objects.filter(territory=territory), AUDIT_PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    entries = [(entry, _readable_changes(entry)) for entry in page.object_list]
    return _page(request, "backoffice/audit_log.html", territory, page=page, entries=entries)


def _readable_changes(entry: AuditEntry) -> list[tuple[str, Any]]:
    """The entry's changes with collectivity field names shown as their French labels."""
    if not isinstance(entry.changes, dict):
        return []
    labels: dict[str, str] = {
        str(field.name): str(getattr(field, "verbose_name", field.name))
        for field in Collectivity._meta.get_fields()
    }
    labels.update({"email": _("e-mail"), "role": _("rôle"), "module": _("module"), "enabled": _("actif")})
    rows: list[tuple[str, Any]] = []
    for name, change in entry.changes.items():
        if name == "role" and change in Role.values:
            change = str(Role(change).label)
        rows.append((labels.get(str(name), str(name)), change))
    return rows


@second_factor_required
def invitation(request: PortalRequest, token: str) -> HttpResponse:
    """The link of an invitation e-mail: sign in with the invited address, then accept with a POST."""
    found = Invitation.objects.select_related("territory").filter(token=token).first()
    if found is None or not is_in_portal(request.portal, found.territory):
        raise Http404(_("Invitation introuvable."))
    context: dict[str, Any] = {"invitation": found, "state": "ready"}
    if found.accepted_at is not None:
        context["state"] = "accepted"
    elif found.revoked_at is not None:
        context["state"] = "revoked"
    elif not found.is_pending:
        context["state"] = "expired"
    elif not request.user.is_authenticated:
        context["state"] = "anonymous"
        next_query = urlencode({"next": request.get_full_path()})
        context["login_url"] = f"{reverse('account_login')}?{next_query}"
        context["signup_url"] = f"{reverse('account_signup')}?{next_query}"
    elif not can_accept(request.user, found):
        context["state"] = "other_address"
    elif request.method == "POST":
        try:
            accept_invitation(request.user, found)
        except ActionRefused as exc:
            messages.error(request, str(exc))
            return redirect("backoffice:accept_invitation", token=token)
        messages.success(request, _("Vous faites maintenant partie de l'équipe de %(name)s.")
                         % {"name": found.territory.name})
        return redirect("backoffice:territory", territory_id=found.territory_id)
    return render(request, "backoffice/invitation.html", context)


# Communes under a territory offered as an alert's or an event's audience; beyond this, it goes to
# the whole territory (a département has hundreds of communes: no one ticks them on a phone).
AUDIENCE_CHOICES_MAX = 60


def audience_choices(territory: Territory) -> QuerySet[Territory] | None:
    """What an alert or an event of this territory may be limited to: its communes (an EPCI's) or its EPCIs and
    communes (a département's), when few enough to tick on a phone; None for a commune."""
    if territory.kind == TerritoryKind.COMMUNE:
        return None
    if territory.kind == TerritoryKind.EPCI:
        qs = Territory.objects.filter(epci=territory, kind=TerritoryKind.COMMUNE)
    elif territory.kind == TerritoryKind.DEPARTEMENT:
        qs = Territory.objects.filter(departement=territory, kind=TerritoryKind.COMMUNE)
    else:
        qs = Territory.objects.filter(region=territory, kind=TerritoryKind.COMMUNE)
    qs = qs.filter(is_active=True).defer("boundary").order_by("name")
    return qs if qs.count() <= AUDIENCE_CHOICES_MAX else None
