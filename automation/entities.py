"""ENTITIES_UPDATE, the built-in dispatch handler (SPEC section 10): the individuals listed in
`payload.ubos` and `payload.directors` are created or updated as entities, linked to the
case's business with their role and ownership, and their ids written back. One UBO shape
(`person_of`) serves the handler and the case page's UBO table."""

import hashlib
from decimal import Decimal, InvalidOperation

from workflows.errors import FieldError, ValidationFailed
from workflows.json_values import text_problem
from workflows.models import EntityKind
from workflows.entities import entity_upsert

from .models import EntityLink, EntityRole

ROLES = {"ubos": EntityRole.UBO, "directors": EntityRole.DIRECTOR}
PERSON_FIELDS = ("firstName", "lastName", "email", "dateOfBirth", "nationality", "country")


def _ownership(person: dict):
    value = person.get("ownership", person.get("ownershipPercentage", person.get("percentageOfOwnership")))
    if value in (None, ""):
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return None
    # "NaN" and "Infinity" parse, and a NaN raises on comparison: no share of a company.
    return number if number.is_finite() and Decimal(0) <= number <= Decimal(100) else None


def person_of(person: dict, business_correlation_id: str) -> dict:
    """{id, data, ownership} of a listed person: its own id, else one made from the business
    and the name (so the same person sent again is the same entity)."""
    person_id = person.get("id") or person.get("entityId") or person.get("correlationId")
    if not person_id:
        name = f"{person.get('firstName', '')}|{person.get('lastName', '')}|{person.get('email', '')}".lower()
        person_id = f"{business_correlation_id}-person-{hashlib.sha256(name.encode()).hexdigest()[:12]}"
    data = {key: person[key] for key in PERSON_FIELDS if key in person}
    for key, value in person.items():
        if key not in data and key not in ("id", "entityId", "correlationId"):
            data[key] = value
    return {"id": str(person_id)[:255], "data": data, "ownership": _ownership(person)}


def entities_update(*, runtime, payload: dict) -> dict:
    """Applies the handler in the caller's transaction (the case locked); returns what goes to
    `pluginsOutput.<name>`: the people with their entity ids. ValidationFailed when a person
    cannot be an entity (no name, an unstorable value)."""
    if not isinstance(payload, dict):
        raise ValidationFailed([FieldError("payload", "ENTITIES_UPDATE needs an object with `ubos` and/or `directors`.")])
    business = runtime.entity
    if business.kind != EntityKind.BUSINESS:
        raise ValidationFailed([FieldError("entity", "ENTITIES_UPDATE links people to a business: this case's entity is not one.")])
    output = {}
    for key, role in ROLES.items():
        people = payload.get(key) or []
        if not isinstance(people, list):
            raise ValidationFailed([FieldError(f"payload.{key}", "Must be a list of people.")])
        written = []
        for index, person in enumerate(people):
            if not isinstance(person, dict) or not (person.get("firstName") or person.get("lastName")):
                raise ValidationFailed([FieldError(f"payload.{key}[{index}]", "A person needs a firstName or lastName.")])
            shape = person_of(person, business.correlation_id)
            problem = text_problem(shape["id"])
            if problem:
                raise ValidationFailed([FieldError(f"payload.{key}[{index}].id", problem)])
            entity, _ = entity_upsert(project=runtime.project, entity_input={"type": EntityKind.INDIVIDUAL, "id": shape["id"], "data": shape["data"]})
            EntityLink.objects.update_or_create(
                project=runtime.project, business=business, person=entity, role=role, defaults={"ownership": shape["ownership"]}
            )
            written.append({"entityId": shape["id"], "ballerineEntityId": str(entity.pk), "role": role.value,
                            "ownership": float(shape["ownership"]) if shape["ownership"] is not None else None})
        if written:
            output[key] = written
    return output
