"""Definitions with plugins for the automation tests, saved through the one save path."""

from workflows.definitions import definition_save

CHECK_STATECHART = {
    "id": "registry_check",
    "initial": "checking",
    "states": {
        "checking": {
            "on": {
                "REGISTRY_DONE": "review",
                "REGISTRY_FAILED": "registry_failed",
                "SKIP": "review",
            }
        },
        "review": {
            "on": {
                "approve": "approved",
                "reject": "rejected",
                "SANCTIONS_RESULT": "screened",
                "RECHECK": "checking",
            }
        },
        "screened": {"on": {"approve": "approved", "reject": "rejected"}},
        "registry_failed": {"on": {"RETRY": "checking", "reject": "rejected"}},
        "approved": {"type": "final"},
        "rejected": {"type": "final"},
    },
}


def api_plugin(url: str, **overrides) -> dict:
    plugin = {
        "name": "registry",
        "pluginKind": "api",
        "displayName": "Company registry",
        "stateNames": ["checking"],
        "url": url,
        "method": "POST",
        "request": {
            "transform": [
                {
                    "transformer": "jmespath",
                    "mapping": "{companyName: entity.data.companyName, registrationNumber: entity.data.registrationNumber}",
                }
            ]
        },
        "successAction": "REGISTRY_DONE",
        "errorAction": "REGISTRY_FAILED",
    }
    plugin.update(overrides)
    return plugin


def save_check_definition(project, plugins: list[dict], *, key="registry_check", statechart=None, context_schema=None, config=None, extra=None):
    extensions = {"apiPlugins": plugins, **(extra or {})}
    return definition_save(
        project=project,
        key=key,
        name="Registry check",
        statechart=statechart or CHECK_STATECHART,
        context_schema=context_schema,
        config=config,
        extensions=extensions,
    ).version


def business_run(key="registry_check", entity_id="biz-1", company="Acme Holdings Ltd", **data) -> dict:
    return {
        "workflowId": key,
        "context": {
            "entity": {
                "type": "business",
                "id": entity_id,
                "data": {"companyName": company, "registrationNumber": "REG-42", "country": "GB", **data},
            },
            "documents": [],
        },
    }
