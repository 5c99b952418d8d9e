"""Read-only admin views of the profiles app (writes go through the pages and services, audited)."""

from django.contrib import admin
from django.http import HttpRequest

from tiercare.profiles.models import Article, Review


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(Article)
class ArticleAdmin(ReadOnly):
    list_display = ("title", "expert", "status", "published_at")
    list_filter = ("status",)


@admin.register(Review)
class ReviewAdmin(ReadOnly):
    list_display = ("expert", "stars", "kind", "status", "created_at")
    list_filter = ("status", "kind")
    exclude = ("person",)
