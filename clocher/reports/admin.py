"""The reports in Django's admin: operators maintain categories and repair what goes wrong; agents
work in /gestion/, never here."""

from django.contrib import admin

from .models import Open311Client, Report, ReportCategory, ReportEvent, ReportMedia


@admin.register(ReportCategory)
class ReportCategoryAdmin(admin.ModelAdmin):  # type: ignore[type-arg]  # django-stubs: ModelAdmin[Model]
    list_display = ("name", "code", "territory", "competence", "is_active")
    list_filter = ("competence", "is_active")
    search_fields = ("name", "code", "territory__name")
    raw_id_fields = ("territory",)


class ReportEventInline(admin.TabularInline):  # type: ignore[type-arg]
    model = ReportEvent
    extra = 0
    can_delete = False
    readonly_fields = ("kind", "is_public", "status", "text", "actor", "created_at")


class ReportMediaInline(admin.TabularInline):  # type: ignore[type-arg]
    model = ReportMedia
    extra = 0
    can_delete = False
    readonly_fields = ("kind", "file", "content_type", "size", "event", "created_at")


@admin.register(Report)
class ReportAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("pk", "category", "commune", "territory", "status", "created_at")
    list_filter = ("status",)
    search_fields = ("description", "address", "commune__name")
    raw_id_fields = ("territory", "commune", "category", "duplicate_of", "assignee", "reporter")
    readonly_fields = ("token", "idempotency_key", "channel", "created_at", "updated_at")
    inlines = (ReportMediaInline, ReportEventInline)


@admin.register(Open311Client)
class Open311ClientAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    # Keys are made with `Open311Client(key_hash=hash_api_key(secrets.token_urlsafe(32)))` and given
    # once to the app (docs/open311.md); the admin only shows and switches clients off.
    list_display = ("name", "territory", "is_active", "created_at")
    raw_id_fields = ("territory",)
    readonly_fields = ("key_hash", "created_at")
