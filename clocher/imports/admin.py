"""Django admin for operators (superusers): sources and their runs, read to diagnose a failing feed.

Staff add and manage sources in /gestion/<territory>/sources/, where the URL is checked against
private addresses; here runs are read-only, and a source's URL is not editable for the same reason.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from .models import ImportRun, ImportSource


class ImportRunInline(admin.TabularInline):  # type: ignore[type-arg]  # generic in the stubs only
    model = ImportRun
    extra = 0
    fields = ("started_at", "finished_at", "outcome", "created", "updated", "unchanged", "unpublished",
              "rejected", "error")
    readonly_fields = fields
    ordering = ("-started_at",)
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ImportSource)
class ImportSourceAdmin(admin.ModelAdmin):  # type: ignore[type-arg]  # generic in the stubs only
    list_display = ("__str__", "kind", "territory", "enabled", "interval_hours", "last_run_at", "last_outcome")
    list_filter = ("kind", "enabled", "last_outcome")
    search_fields = ("name", "url", "territory__name")
    readonly_fields = ("url", "territory", "created_by", "created_at", "last_run_at", "last_outcome")
    inlines = (ImportRunInline,)

    def has_add_permission(self, request: HttpRequest) -> bool:
        # Added through /gestion/, where the URL is checked against private addresses.
        return False


@admin.register(ImportRun)
class ImportRunAdmin(admin.ModelAdmin):  # type: ignore[type-arg]  # generic in the stubs only
    list_display = ("source", "started_at", "outcome", "created", "updated", "unchanged", "rejected")
    list_filter = ("outcome",)
    readonly_fields = ("source", "started_at", "finished_at", "outcome", "created", "updated", "unchanged",
                       "unpublished", "rejected", "rejections", "error")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
