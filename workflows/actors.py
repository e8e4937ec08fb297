from dataclasses import dataclass

from projects.models import ApiKey


@dataclass(frozen=True)
class Actor:
    """Who causes a change: an operator, an API key, or the system itself."""

    user: object | None = None
    api_key: ApiKey | None = None

    @property
    def label(self) -> str:
        if self.user is not None:
            return self.user.get_username()
        if self.api_key is not None:
            return f"API key {self.api_key.name}"
        return "system"

    def history_fields(self) -> dict:
        return {"actor_user": self.user, "actor_api_key": self.api_key, "actor_label": self.label}


SYSTEM = Actor()
