"""Errors raised by the workflow services. Each edge (API, pages, admin, commands) turns them
into its own form; they all carry a status code, a message and located field errors."""

from dataclasses import dataclass, field


@dataclass
class FieldError:
    path: str
    message: str

    def as_dict(self) -> dict:
        return {"path": self.path, "message": self.message}


@dataclass
class ServiceError(Exception):
    message: str
    errors: list[FieldError] = field(default_factory=list)
    status_code: int = 400

    def __str__(self):
        if not self.errors:
            return self.message
        details = "; ".join(f"{e.path}: {e.message}" if e.path else e.message for e in self.errors)
        return f"{self.message}: {details}"


class ValidationFailed(ServiceError):
    def __init__(self, errors, message="Validation error"):
        super().__init__(message=message, errors=list(errors), status_code=400)


class NotFound(ServiceError):
    def __init__(self, message="Not found"):
        super().__init__(message=message, status_code=404)


class EventRefused(ServiceError):
    """The event cannot be applied in the current state; `allowed_events` says what can."""

    def __init__(self, message, allowed_events):
        self.allowed_events = list(allowed_events)
        super().__init__(
            message=message,
            errors=[FieldError("name", f"Allowed events: {', '.join(self.allowed_events) or 'none'}.")],
            status_code=400,
        )


class RuntimeClosed(ServiceError):
    def __init__(self, message):
        super().__init__(message=message, status_code=409)


class OpenCaseExists(ServiceError):
    """A start that must not update the entity's open case (Add Case Manually) found one."""

    def __init__(self, runtime_id):
        self.runtime_id = runtime_id
        super().__init__(
            message="This entity already has an open case of this workflow.",
            errors=[
                FieldError(
                    "context.entity.id",
                    "An open case already exists for this entity. Open it to change its data, or use another ID.",
                )
            ],
            status_code=409,
        )


class WorkflowFailed(ServiceError):
    """The definition could not process an event for this case (a guard that throws, always
    transitions that loop); the case has been marked failed."""

    def __init__(self, message):
        super().__init__(message=message, status_code=422)


class PermissionDenied(ServiceError):
    def __init__(self, message="You may not do this in this project."):
        super().__init__(message=message, status_code=403)
