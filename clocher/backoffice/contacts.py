"""Staff pages for useful contacts (/gestion/<territory>/contacts/).

Editors and admins of a territory list, add, change and delete the numbers their territory shows
residents on the "Contacts utiles" page; the national numbers (no territory) are shown read-only
beside them. As in views.py, the territory comes from the URL through `access_staff_territory`
first (404 across territories and portals), then the contact is looked up within that territory
only, so a national number or another territory's contact is a 404 here.
"""

from __future__ import annotations

import re
from typing import Any

import phonenumbers
from django import forms
from django.contrib import messages
from django.db import transaction
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from clocher.directory.models import UsefulContact
from clocher.territories.http import PortalRequest
from clocher.territories.models import Territory
from clocher.territories.services import EDIT_ROLES, record_audit

from .views import _access, _page, staff_view

AUDITED_FIELDS = ("theme", "name", "phone", "description", "hours", "position")


def clean_contact_phone(value: str) -> str:
    """A full number as E.164; a short national number (15, 3919, 116 117) as it is dialled.

    Raises ValidationError with a French message when it is neither.
    """
    text = " ".join(value.split())
    try:
        number = phonenumbers.parse(text, "FR")
    except phonenumbers.NumberParseException:
        raise forms.ValidationError(_("Numéro de téléphone illisible.")) from None
    if phonenumbers.is_valid_number(number):
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    # Short numbers have no E.164 form: "+333919" cannot be dialled. Keep them as written.
    if not text.startswith("+") and re.fullmatch(r"[\d ]+", text) and phonenumbers.is_valid_short_number_for_region(
        number, "FR"
    ):
        return text
    raise forms.ValidationError(_("Ce numéro de téléphone n'existe pas."))


class ContactForm(forms.ModelForm[UsefulContact]):
    """A territory's useful contact, as a phone shows it: the number with a telephone keypad."""

    class Meta:
        model = UsefulContact
        fields = ["theme", "name", "phone", "description", "hours", "position"]
        labels = {"position": gettext_lazy("Ordre dans le thème")}
        help_texts = {
            "phone": gettext_lazy("Un numéro français (05 62 61 21 00), étranger (+44…) ou court (3919, 116 117)."),
            "hours": gettext_lazy("Par exemple : 24 h/24, 7 j/7 ou du lundi au vendredi de 9 h à 17 h."),
            "position": gettext_lazy("Les plus petits nombres viennent en premier."),
        }
        widgets = {
            "phone": forms.TextInput(attrs={"type": "tel", "autocomplete": "tel", "inputmode": "tel"}),
        }

    def clean_phone(self) -> str:
        return clean_contact_phone(self.cleaned_data.get("phone") or "")


def _snapshot(contact: UsefulContact) -> dict[str, Any]:
    return {name: getattr(contact, name) for name in AUDITED_FIELDS}


def save_contact(actor: Any, territory: Territory, form: ContactForm) -> UsefulContact:
    """Creates or updates a contact of `territory` from a valid form, and writes it in the journal.

    The caller has checked the actor's role through `_access` (editor or admin).
    """
    with transaction.atomic():
        before = None if form.instance.pk is None else _snapshot(
            UsefulContact.objects.get(pk=form.instance.pk)
        )
        contact = form.save(commit=False)
        contact.territory = territory
        contact.save()
        after = _snapshot(contact)
        if before is None:
            record_audit(territory, actor, "contact.create",
                         _("Contact utile ajouté : %(name)s") % {"name": contact.name}, after)
        else:
            changes = {key: [before[key], value] for key, value in after.items() if before[key] != value}
            record_audit(territory, actor, "contact.update",
                         _("Contact utile modifié : %(name)s") % {"name": contact.name}, changes)
    return contact


def delete_contact(actor: Any, territory: Territory, contact: UsefulContact) -> None:
    """Deletes a contact of `territory` and writes it in the journal (what it was, to find it again)."""
    with transaction.atomic():
        snapshot = _snapshot(contact)
        contact.delete()
        record_audit(territory, actor, "contact.delete",
                     _("Contact utile supprimé : %(name)s") % {"name": snapshot["name"]}, snapshot)


def _contact_of(territory: Territory, contact_id: int) -> UsefulContact:
    contact = UsefulContact.objects.filter(pk=contact_id, territory=territory).first()
    if contact is None:
        raise Http404(_("Contact introuvable."))
    return contact


@staff_view
def contact_list(request: PortalRequest, territory_id: int) -> HttpResponse:
    territory = _access(request, territory_id, EDIT_ROLES)
    own = list(UsefulContact.objects.filter(territory=territory).order_by("theme", "position", "name", "pk"))
    national = list(UsefulContact.objects.filter(territory=None).order_by("theme", "position", "name", "pk"))
    return _page(request, "backoffice/contacts/list.html", territory, contacts=own, national=national)


@staff_view
def contact_create(request: PortalRequest, territory_id: int) -> HttpResponse:
    territory = _access(request, territory_id, EDIT_ROLES)
    form = ContactForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        contact = save_contact(request.user, territory, form)
        messages.success(request, _("Le contact « %(name)s » est enregistré.") % {"name": contact.name})
        return redirect("backoffice:contacts", territory_id=territory.pk)
    return _page(request, "backoffice/contacts/form.html", territory, form=form, contact=None)


@staff_view
def contact_edit(request: PortalRequest, territory_id: int, contact_id: int) -> HttpResponse:
    territory = _access(request, territory_id, EDIT_ROLES)
    contact = _contact_of(territory, contact_id)
    form = ContactForm(request.POST if request.method == "POST" else None, instance=contact)
    if request.method == "POST" and form.is_valid():
        contact = save_contact(request.user, territory, form)
        messages.success(request, _("Le contact « %(name)s » est enregistré.") % {"name": contact.name})
        return redirect("backoffice:contacts", territory_id=territory.pk)
    return _page(request, "backoffice/contacts/form.html", territory, form=form, contact=contact)


@staff_view
def contact_delete(request: PortalRequest, territory_id: int, contact_id: int) -> HttpResponse:
    territory = _access(request, territory_id, EDIT_ROLES)
    contact = _contact_of(territory, contact_id)
    if request.method == "POST":
        delete_contact(request.user, territory, contact)
        messages.success(request, _("Le contact « %(name)s » est supprimé.") % {"name": contact.name})
        return redirect("backoffice:contacts", territory_id=territory.pk)
    return _page(request, "backoffice/contacts/confirm.html", territory, contact=contact)
