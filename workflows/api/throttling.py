from rest_framework.throttling import SimpleRateThrottle


class ApiKeyRateThrottle(SimpleRateThrottle):
    """Requests per API key (rate from settings: REST_FRAMEWORK DEFAULT_THROTTLE_RATES['api_key'])."""

    scope = "api_key"

    def get_cache_key(self, request, view):
        api_key = getattr(request, "auth", None)
        if api_key is None:
            return None
        return self.cache_format % {"scope": self.scope, "ident": api_key.pk}
