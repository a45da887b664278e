"""Django admin for the operators (superusers): portals, territories, memberships and roles.

Day-to-day work of collectivities happens in /gestion/. Here an operator sets a portal up, makes a
territory join, and repairs access (for instance, names a new admin after the last one left).
The journal is read-only: it records what happened, nobody edits it.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from .models import (
    AuditEntry,
    Collectivity,
    Invitation,
    ModuleSetting,
    Portal,
    PortalHost,
    Postcode,
    StaffRole,
    Territory,
)


class PostcodeInline(admin.TabularInline):  # type: ignore[type-arg]  # generic in the stubs only
    model = Postcode
    extra = 0


@admin.register(Territory)
class TerritoryAdmin(admin.ModelAdmin):  # type: ignore[type-arg]  # generic in the stubs only
    list_display = ("name", "kind", "code", "population", "is_active")
    list_filter = ("kind", "is_active")
    search_fields = ("name", "search_name", "code", "siren")
    autocomplete_fields = ("region", "departement", "epci")
    # The boundary is a large GeoJSON document loaded from official data, not edited by hand.
    exclude = ("boundary",)
    readonly_fields = ("min_lon", "min_lat", "max_lon", "max_lat", "center_lat", "center_lon")
    inlines = (PostcodeInline,)


class PortalHostInline(admin.TabularInline):  # type: ignore[type-arg]  # generic in the stubs only
    model = PortalHost
    extra = 1


@admin.register(Portal)
class PortalAdmin(admin.ModelAdmin):  # type: ignore[type-arg]  # generic in the stubs only
    list_display = ("name", "short_name", "root", "is_active")
    list_filter = ("is_active",)
    search_fields = ("name", "short_name")
    autocomplete_fields = ("root",)
    inlines = (PortalHostInline,)


@admin.register(Collectivity)
class CollectivityAdmin(admin.ModelAdmin):  # type: ignore[type-arg]  # generic in the stubs only
    list_display = ("territory", "portal", "joined_at", "delegates_to_parent")
    list_filter = ("portal", "delegates_to_parent")
    search_fields = ("territory__name", "territory__code")
    autocomplete_fields = ("territory",)


@admin.register(ModuleSetting)
class ModuleSettingAdmin(admin.ModelAdmin):  # type: ignore[type-arg]  # generic in the stubs only
    list_display = ("territory", "module", "enabled", "updated_at")
    list_filter = ("module", "enabled")
    search_fields = ("territory__name",)
    autocomplete_fields = ("territory",)


@admin.register(StaffRole)
class StaffRoleAdmin(admin.ModelAdmin):  # type: ignore[type-arg]  # generic in the stubs only
    list_display = ("user", "territory", "role", "created_at")
    list_filter = ("role",)
    search_fields = ("user__email", "territory__name")
    autocomplete_fields = ("user", "territory", "granted_by")


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):  # type: ignore[type-arg]  # generic in the stubs only
    list_display = ("email", "territory", "role", "created_at", "expires_at", "accepted_at", "revoked_at")
    list_filter = ("role",)
    search_fields = ("email", "territory__name")
    autocomplete_fields = ("territory",)
    # The token is a secret sent by e-mail; showing it here would let anyone with admin access use it.
    exclude = ("token",)
    readonly_fields = ("invited_by", "accepted_by", "accepted_at")


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):  # type: ignore[type-arg]  # generic in the stubs only
    list_display = ("created_at", "territory", "actor_label", "action", "summary")
    list_filter = ("action",)
    search_fields = ("actor_label", "summary", "territory__name")
    date_hierarchy = "created_at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
