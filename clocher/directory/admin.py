"""Django admin for operators (superusers): repairs and the contacts no staff page edits yet.

Staff create and edit places in /gestion/, where the services validate and sanitise them; the admin
is for operators, and the resident pages clean descriptions again at display.
"""

from __future__ import annotations

from django.contrib import admin

from .models import Place, PlaceCategory, PlacePhoto, PlaceProposal, UsefulContact


class PlaceCategoryInline(admin.TabularInline):  # type: ignore[type-arg]  # generic in the stubs only
    model = PlaceCategory
    extra = 0


class PlacePhotoInline(admin.TabularInline):  # type: ignore[type-arg]  # generic in the stubs only
    model = PlacePhoto
    extra = 0


@admin.register(Place)
class PlaceAdmin(admin.ModelAdmin):  # type: ignore[type-arg]  # generic in the stubs only
    list_display = ("name", "commune", "territory", "status", "source", "updated_at")
    list_filter = ("status", "source")
    search_fields = ("name", "commune__name", "external_id")
    autocomplete_fields = ("commune", "territory", "author")
    filter_horizontal = ("audience",)
    readonly_fields = ("description_html", "checksum", "created_at", "updated_at")
    inlines = (PlaceCategoryInline, PlacePhotoInline)


@admin.register(UsefulContact)
class UsefulContactAdmin(admin.ModelAdmin):  # type: ignore[type-arg]  # generic in the stubs only
    list_display = ("name", "phone", "theme", "territory")
    list_filter = ("theme",)
    search_fields = ("name", "phone", "territory__name")
    autocomplete_fields = ("territory",)


@admin.register(PlaceProposal)
class PlaceProposalAdmin(admin.ModelAdmin):  # type: ignore[type-arg]  # generic in the stubs only
    list_display = ("__str__", "commune", "proposer", "status", "created_at")
    list_filter = ("status",)
    readonly_fields = ("created_at", "decided_at")
    autocomplete_fields = ("commune", "proposer", "moderator", "place")
