"""Which plugins of a version's `extensions` run when a case comes to rest in a state (SPEC
section 10). Pure, so the worker's queueing and the no-database dry run share one rule."""

from __future__ import annotations

DISPATCH, CHILD, COMMON, API = "dispatchEventPlugins", "childWorkflowPlugins", "commonPlugins", "apiPlugins"

# Ballerine's order of the plugins of one state.
RUN_ORDER = (DISPATCH, CHILD, COMMON, API)


def action_plugin_names(extensions: dict) -> set:
    """Names run by an iterative plugin for each item: they do not run on their own."""
    return {
        plugin.get("actionPluginName")
        for plugin in extensions.get(COMMON) or []
        if isinstance(plugin, dict) and plugin.get("pluginKind") == "iterative"
    }


def plugins_for_state(extensions: dict, state: str) -> list[tuple[str, dict]]:
    """(list, declaration) of the plugins that run when a case comes to rest in `state`, in
    run order."""
    if not extensions:
        return []
    actions = action_plugin_names(extensions)
    found = []
    for list_name in RUN_ORDER:
        for plugin in extensions.get(list_name) or []:
            if not isinstance(plugin, dict) or state not in (plugin.get("stateNames") or []):
                continue
            if list_name == API and plugin.get("name") in actions:
                continue
            found.append((list_name, plugin))
    return found


def plugin_declaration(extensions: dict, name: str) -> tuple[str, dict] | None:
    for list_name in RUN_ORDER:
        for plugin in (extensions or {}).get(list_name) or []:
            if isinstance(plugin, dict) and plugin.get("name") == name:
                return list_name, plugin
    return None


def is_fire_and_forget(plugin: dict) -> bool:
    """Ballerine's rule for plugins that call out: without both actions, nobody waits for the
    outcome and nothing of it is applied. A transformer only computes, so what it computes is
    always kept."""
    if plugin.get("pluginKind") == "transformer":
        return False
    return not plugin.get("successAction") and not plugin.get("errorAction")
