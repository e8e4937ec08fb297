"""One outbound HTTP layer for webhooks, plugins and file fetches: `outbound.request(...)`."""

from .client import OutboundError, OutboundResponse, OutboundTimeout, request
from .targets import TargetRefused, private_targets_allowed, url_problem

__all__ = ["OutboundError", "OutboundResponse", "OutboundTimeout", "TargetRefused", "private_targets_allowed", "request", "url_problem"]
