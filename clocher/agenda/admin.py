"""Django admin for operators (superusers): looking at events and repairing them.

Staff create and edit events in /gestion/, where the services validate, sanitise and rebuild the
occurrences; occurrences are derived data, so the admin shows them read-only.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from .models import Event, EventCategory, Occurrence


class EventCategoryInline(admin.TabularInline):  # type: ignore[type-arg]  # generic in the stubs only
    model = EventCategory
    extra = 0


@admin.register(Event)
class EventAdmin(admin.ModelAdmin):  # type: ignore[type-arg]  # generic in the stubs only
    list_display = ("title", "starts_at", "territory", "commune", "status", "event_status", "review_status", "source")
    list_filter = ("status", "event_status", "review_status", "all_day", "categories__category", "source")
    search_fields = ("title", "external_id", "location_name", "commune__name")
    date_hierarchy = "starts_at"
    autocomplete_fields = ("commune", "territory", "author", "place")
    raw_id_fields = ("organisation", "reviewed_by")
    filter_horizontal = ("audience",)
    readonly_fields = ("description_html", "ical", "checksum", "created_at", "updated_at", "reviewed_at")
    inlines = (EventCategoryInline,)


@admin.register(Occurrence)
class OccurrenceAdmin(admin.ModelAdmin):  # type: ignore[type-arg]  # generic in the stubs only
    list_display = ("__str__", "starts_at", "ends_at", "commune", "is_cancelled")
    list_filter = ("is_cancelled", "all_day")
    date_hierarchy = "starts_at"
    search_fields = ("event__title", "title")
    list_select_related = ("event", "commune")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
