from dataclasses import dataclass

from projects.models import ApiKey


@dataclass(frozen=True)
class Actor:
    """Who causes a change: an operator, an API key, or the system itself."""

    user: object | None = None
    api_key: ApiKey | None = None
    # For the system acting on something's behalf ("plugin sanctions_check"): shown as the actor.
    system_label: str = ""

    @property
    def label(self) -> str:
        if self.user is not None:
            return self.user.get_username()
        if self.api_key is not None:
            return f"API key {self.api_key.name}"
        return self.system_label or "system"

    def history_fields(self) -> dict:
        return {"actor_user": self.user, "actor_api_key": self.api_key, "actor_label": self.label}


SYSTEM = Actor()


def plugin_actor(plugin_name: str) -> Actor:
    """The system acting for a plugin: its outcomes and actions are recorded as the plugin's."""
    return Actor(system_label=f"plugin {plugin_name}")
