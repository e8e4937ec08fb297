"""Due times from a definition's `config.slaHours` (SPEC section 5): a case is due `slaHours`
after it was created, stored on the case (WorkflowRuntime.due_at) when it starts."""

from datetime import datetime, timedelta


def sla_hours(config) -> float | None:
    """The version's `slaHours` when it is a positive number (the config schema checks it on
    save; older or hand-written configs may hold anything)."""
    hours = config.get("slaHours") if isinstance(config, dict) else None
    if isinstance(hours, bool) or not isinstance(hours, (int, float)) or hours <= 0:
        return None
    return float(hours)


def due_time(config, created: datetime) -> datetime | None:
    """When a case created at `created` on a version with this config is due, or None."""
    hours = sla_hours(config)
    return None if hours is None else created + timedelta(hours=hours)
