"""Rate limits on DRF's throttling: API requests per user, login attempts per IP."""
from __future__ import annotations

from rest_framework.throttling import SimpleRateThrottle

from coderportal import config


class _ConfiguredThrottle(SimpleRateThrottle):
    option = ""

    def get_ident(self, request):
        # The connection's address as coderportal.proxy_headers resolved it; DRF's own
        # reading of X-Forwarded-For would let any client pick its own bucket.
        return request.META.get("REMOTE_ADDR") or ""

    def get_rate(self):
        per_minute = config.get_int(self.option)
        return f"{per_minute}/min" if per_minute > 0 else None

    def allow_request(self, request, view):
        if self.rate is None:
            return True
        return super().allow_request(request, view)


class APIRateThrottle(_ConfiguredThrottle):
    """CODER_API_RATE_LIMIT requests per minute per user, per IP when anonymous."""

    scope = "api"
    option = "CODER_API_RATE_LIMIT"

    def get_cache_key(self, request, view):
        user = request.user
        ident = str(user.pk) if user and user.is_authenticated else self.get_ident(request)
        return self.cache_format % {"scope": self.scope, "ident": ident}


class LoginRateThrottle(_ConfiguredThrottle):
    """CODER_LOGIN_RATE_LIMIT login attempts per minute per IP."""

    scope = "login"
    option = "CODER_LOGIN_RATE_LIMIT"

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}
