"""Django admin for operators (superusers): repairs only.

Staff register and moderate organisations in /gestion/, managers edit them in "Mes associations",
where the services validate and sanitise; the public page sanitises the description again.
"""

from __future__ import annotations

from django.contrib import admin
from django.db import models

from .models import Membership, Organisation


class MembershipInline(admin.TabularInline):  # type: ignore[type-arg]  # generic in the stubs only
    model = Membership
    fk_name = "organisation"
    extra = 0
    autocomplete_fields = ("user",)
    readonly_fields = ("added_by", "created_at")


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):  # type: ignore[type-arg]  # generic in the stubs only
    list_display = ("name", "kind", "status", "territory", "created_at")
    list_filter = ("kind", "status")
    search_fields = ("name", "official_id", "territory__name")
    autocomplete_fields = ("territory", "communes", "created_by")
    readonly_fields = ("description_html", "created_at", "updated_at")
    inlines = (MembershipInline,)
    # Django 6 makes https the default scheme; say so now rather than warn.
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
