"""An entity's name and email as read from its data (a run's `context.entity.data`): stored on
the entity record by a run and copied onto each case from the case's own context."""

BUSINESS = "business"  # EntityKind.BUSINESS (models import this module, not the reverse)


def entity_display_name(kind: str, data: dict) -> str:
    if kind == BUSINESS:
        return str(data.get("companyName", ""))[:255]
    return f"{data.get('firstName', '')} {data.get('lastName', '')}".strip()[:255]


def entity_email(data: dict) -> str:
    email = data.get("email")
    if not isinstance(email, str):
        info = data.get("additionalInfo")
        rep = info.get("mainRepresentative") if isinstance(info, dict) else None
        email = rep.get("email") if isinstance(rep, dict) else ""
    return email[:254] if isinstance(email, str) else ""
