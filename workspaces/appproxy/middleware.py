"""Serves the requests the ASGI host router marked as a subdomain app's (`coder_app`) before
any of the portal's middleware runs: on an app's host no portal session is read, and no
portal cookie (session, CSRF) is ever set."""
from __future__ import annotations

from asgiref.sync import markcoroutinefunction


class SubdomainAppMiddleware:
    async_capable = True
    sync_capable = False

    def __init__(self, get_response):
        self.get_response = get_response
        markcoroutinefunction(self)

    async def __call__(self, request):
        if (getattr(request, "scope", None) or {}).get("coder_app") is None:
            return await self.get_response(request)
        from workspaces.appproxy.subdomain import subdomain_app

        return await subdomain_app(request, request.path.removeprefix("/"))
