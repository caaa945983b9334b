"""HTTP hardening that every response shares: the hosts served, HSTS, and the
Content-Security-Policy of the portal's own pages.

- `allowed_hosts`: ALLOWED_HOSTS follows CODER_ACCESS_URL (plus the wildcard app domain), so
  a request naming any other Host is refused before a view can build a URL from it.
- HSTS: CODER_STRICT_TRANSPORT_SECURITY seconds (and its options), on every response as
  Coder sends it; browsers ignore it on plain http.
- CSP: the admin, the login pages, SSO and the web terminal run only the portal's own
  scripts, connect only to the portal, and cannot be framed. Workspace apps and the API
  are not portal pages and are left alone here.
"""
from __future__ import annotations

import re
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

LOOPBACK = ("localhost", "127.0.0.1", "[::1]")
UNSPECIFIED = ("0.0.0.0", "[::]", "")
HSTS_OPTIONS = {"includesubdomains": "includeSubDomains", "preload": "preload"}

PORTAL_CSP = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    # Django's admin and xterm.js set inline styles; scripts stay strict.
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: https:",  # identity providers' button icons
    "font-src 'self' data:",
    "connect-src 'self'",  # same-origin fetches and websockets (the terminal's PTY)
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])
_PORTAL_PREFIXES = ("/admin/", "/login", "/logout", "/accounts/")
_TERMINAL_PAGE = re.compile(r"^/@[^/]+/[^/]+/terminal$")


def _host(netloc_or_url: str) -> str:
    host = urlsplit(netloc_or_url if "//" in netloc_or_url else f"//{netloc_or_url}").hostname or ""
    return f"[{host}]" if ":" in host else host


def allowed_hosts(access_url: str, http_address: str, wildcard_access_url: str) -> list[str]:
    """Hosts the portal answers to: the access URL's (all loopback names when it is loopback),
    and every subdomain of the wildcard app domain (`*.apps.example.com` -> `.apps.example.com`).

    Without an access URL the portal is reached at its bind address; bound to every
    interface it cannot know its name, and answers any Host until CODER_ACCESS_URL is set.
    """
    host = _host(access_url) if access_url else _host(http_address)
    if not access_url and host in UNSPECIFIED:
        return ["*"]
    hosts = list(LOOPBACK) if host in LOOPBACK else [host]
    if wildcard_access_url:
        domain = _host(wildcard_access_url.replace("*.", "", 1))
        if domain:
            hosts.append(f".{domain}")
    return hosts


def hsts_header(seconds: int, options: list[str]) -> str:
    if seconds <= 0:
        return ""
    parts = [f"max-age={seconds}"]
    for option in options:
        if option.lower() not in HSTS_OPTIONS:
            raise ImproperlyConfigured(f"CODER_STRICT_TRANSPORT_SECURITY_OPTIONS: unknown option {option!r}; "
                                       "use includeSubDomains and/or preload.")
        parts.append(HSTS_OPTIONS[option.lower()])
    return "; ".join(parts)


def is_portal_page(path: str) -> bool:
    return path.startswith(_PORTAL_PREFIXES) or bool(_TERMINAL_PAGE.match(path))


class SecurityHeadersMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if settings.STRICT_TRANSPORT_SECURITY:
            response.headers.setdefault("Strict-Transport-Security", settings.STRICT_TRANSPORT_SECURITY)
        if is_portal_page(request.path):
            response.headers.setdefault("Content-Security-Policy", PORTAL_CSP)
        return response
