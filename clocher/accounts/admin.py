"""The Django admin is for the operators of the installation (superusers) only.

Staff of collectivities work in /gestion/; even a user with Django's `is_staff` flag gets nothing
here unless they are a superuser, so a mistakenly ticked box never opens every portal's data.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from .models import User


def superusers_only(request: HttpRequest) -> bool:
    """AdminSite.has_permission for Clocher: an active superuser, nobody else."""
    user: Any = request.user
    return bool(user.is_active and user.is_superuser)


# The default site is a lazy object built from django.contrib.admin's AppConfig; replacing this one
# check keeps config/urls.py and INSTALLED_APPS untouched.
admin.site.has_permission = superusers_only  # type: ignore[method-assign]  # instance-level override
admin.site.site_header = _("Clocher — administration de l'installation")
admin.site.site_title = _("Administration Clocher")


class UserCreationForm(AdminUserCreationForm):  # type: ignore[type-arg]  # generic in the stubs only
    class Meta:
        model = User
        fields = ("email",)


class UserChangeFormByEmail(UserChangeForm):  # type: ignore[type-arg]  # generic in the stubs only
    class Meta:
        model = User
        fields = "__all__"


@admin.register(User)
class UserAdmin(DjangoUserAdmin):  # type: ignore[type-arg]  # generic in the stubs only
    """Django's user admin, identified by e-mail instead of a user name."""

    form = UserChangeFormByEmail
    add_form = UserCreationForm
    ordering = ("email",)
    list_display = ("email", "display_name", "home_commune", "is_superuser", "is_active", "date_joined")
    list_filter = ("is_superuser", "is_active")
    search_fields = ("email", "display_name")
    autocomplete_fields = ("home_commune",)
    filter_horizontal = ("followed_communes", "groups", "user_permissions")
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (_("Profil"), {"fields": ("display_name", "language", "home_commune", "followed_communes")}),
        (_("Droits"), {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")}),
        (_("Dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("email", "usable_password", "password1", "password2")}),
    )
    readonly_fields = ("last_login", "date_joined")
