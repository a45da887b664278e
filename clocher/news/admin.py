"""The news in the Django admin (superusers only): for support, not for staff, who use /gestion/."""

from django.contrib import admin

from .models import Alert, Article, Attachment


class AttachmentInline(admin.TabularInline):  # type: ignore[type-arg]
    model = Attachment
    extra = 0
    fields = ("title", "file", "size", "position")
    readonly_fields = ("size",)


@admin.register(Article)
class ArticleAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("title", "kind", "territory", "status", "review_status", "published_at", "expires_at")
    list_filter = ("kind", "status", "review_status")
    search_fields = ("title", "territory__name")
    raw_id_fields = ("territory", "author", "organisation", "reviewed_by")
    filter_horizontal = ("audience",)
    readonly_fields = ("body_html", "created_at", "updated_at")
    inlines = [AttachmentInline]


@admin.register(Alert)
class AlertAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("title", "severity", "territory", "status", "published_at", "expires_at")
    list_filter = ("severity", "status")
    search_fields = ("title", "territory__name")
    raw_id_fields = ("territory", "author")
    filter_horizontal = ("audience",)
    readonly_fields = ("created_at", "updated_at")
