"""Moved to `outbound.targets` (the SSRF rules of every outbound request); these names stay
importable from here for older imports."""

from outbound.targets import (  # noqa: F401
    PRIVATE_MESSAGE,
    TargetRefused,
    private_targets_allowed,
    resolve_target,
    target_origin,
    url_problem,
)
