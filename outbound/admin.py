from django.contrib import admin

from .models import AllowedTarget


@admin.register(AllowedTarget)
class AllowedTargetAdmin(admin.ModelAdmin):
    list_display = ["target", "project", "note", "created_at"]
    list_filter = ["project"]
    search_fields = ["target", "note"]
    fields = ["project", "target", "note"]
