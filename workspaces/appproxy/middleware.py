"""Points Django at the subdomain-app routes for requests the ASGI host router marked."""
from __future__ import annotations


class SubdomainAppMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if (getattr(request, "scope", None) or {}).get("coder_app") is not None:
            request.urlconf = "workspaces.appproxy.subdomain_urls"
        return self.get_response(request)
