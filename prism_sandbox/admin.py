from django.contrib import admin

from .models import ApiKey, PropertyDefinition, Record, Team


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["id", "name", "created_at"]


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    list_display = ["prefix", "team", "role", "user_id", "created_at"]
    list_filter = ["role"]
    readonly_fields = ["key_hash", "prefix"]


@admin.register(PropertyDefinition)
class PropertyDefinitionAdmin(admin.ModelAdmin):
    list_display = ["team", "segment", "slug", "type", "required", "read_only"]
    list_filter = ["segment", "type"]


@admin.register(Record)
class RecordAdmin(admin.ModelAdmin):
    list_display = ["id", "segment", "revision", "created_at", "deleted_at"]
    list_filter = ["segment"]
    show_full_result_count = False
