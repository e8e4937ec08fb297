from django import forms
from django.contrib import admin, messages

from outbound.targets import url_problem

from .models import DeliveryStatus, WebhookAttempt, WebhookDelivery, WebhookEvent, WebhookSubscription, WebhookTarget
from .services import webhook_delivery_retry, webhook_target_resume


class WebhookSubscriptionForm(forms.ModelForm):
    url = forms.URLField(max_length=2000, assume_scheme="https")
    events = forms.MultipleChoiceField(
        choices=WebhookEvent.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="None ticked: every event.",
    )

    class Meta:
        model = WebhookSubscription
        fields = ["project", "url", "events", "is_active"]

    def clean(self):
        cleaned = super().clean()
        url = cleaned.get("url")
        problem = url_problem(url, cleaned.get("project")) if url else None
        if problem:
            self.add_error("url", problem)  # the project's allow-list may open a private target
        return cleaned


@admin.register(WebhookSubscription)
class WebhookSubscriptionAdmin(admin.ModelAdmin):
    form = WebhookSubscriptionForm
    list_display = ["url", "project", "events", "is_active", "created_at"]
    list_filter = ["project", "is_active"]
    search_fields = ["url"]


class WebhookAttemptInline(admin.TabularInline):
    model = WebhookAttempt
    fields = ["number", "started_at", "duration_ms", "status_code", "error"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    list_display = ["created_at", "event", "sequence", "url", "status", "attempt_count", "next_attempt_at", "delivered_at"]
    list_filter = ["project", "status", "event"]
    search_fields = ["url", "runtime__id"]
    list_select_related = ["project"]
    fields = ["project", "runtime", "event", "sequence", "waiting_for", "url", "status", "attempt_count", "next_attempt_at", "delivered_at", "created_at", "body"]
    readonly_fields = fields
    inlines = [WebhookAttemptInline]
    actions = ["retry_now"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return request.method in ("GET", "HEAD") and super().has_change_permission(request, obj)

    @admin.display(description="waiting for")
    def waiting_for(self, obj):
        """A pending delivery held back because an earlier one of its case to its URL is pending."""
        earlier = obj.sequence and obj.status == DeliveryStatus.PENDING and (
            WebhookDelivery.objects.filter(
                runtime_id=obj.runtime_id, url=obj.url, status=DeliveryStatus.PENDING, sequence__lt=obj.sequence
            )
            .order_by("sequence")
            .first()
        )
        if not earlier:
            return "-"
        return f"event {earlier.sequence} ({earlier.event}) of this case to this URL, still pending: this one is sent after it"

    @admin.action(description="Send the selected deliveries again now")
    def retry_now(self, request, queryset):
        # has_change_permission is False for every POST here (the page is read-only), so the
        # action checks the permission itself.
        if not request.user.has_perm("webhooks.change_webhookdelivery"):
            self.message_user(request, "You may not send deliveries again.", messages.ERROR)
            return
        retried = sum(webhook_delivery_retry(delivery=delivery) for delivery in queryset)
        skipped = queryset.count() - retried
        self.message_user(request, f"{retried} delivery(ies) queued to be sent again.", messages.SUCCESS)
        if skipped:
            self.message_user(request, f"{skipped} already delivered, not sent again.", messages.WARNING)


@admin.register(WebhookTarget)
class WebhookTargetAdmin(admin.ModelAdmin):
    """Receivers that ran into the timeout. While one is suspended its deliveries wait (no
    attempt is used up); "Resume now" ends the suspension."""

    list_display = ["origin", "consecutive_timeouts", "suspended_until", "last_timeout_at"]
    search_fields = ["origin"]
    fields = list_display
    readonly_fields = fields
    actions = ["resume_now"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return request.method in ("GET", "HEAD") and super().has_change_permission(request, obj)

    @admin.action(description="Resume sending to the selected receivers now")
    def resume_now(self, request, queryset):
        if not request.user.has_perm("webhooks.change_webhooktarget"):
            self.message_user(request, "You may not resume receivers.", messages.ERROR)
            return
        queued = sum(webhook_target_resume(target=target) for target in queryset)
        self.message_user(request, f"Resumed; {queued} waiting delivery(ies) queued now.", messages.SUCCESS)
