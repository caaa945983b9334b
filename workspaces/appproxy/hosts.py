"""ASGI routing by `Host`: requests for a subdomain app's host (`CODER_WILDCARD_ACCESS_URL`)
go to the app side, everything else to the portal. The scope is marked with `coder_app`
(the parsed app URL) and `coder_app_host` (the host name the app's cookie is bound to), which
the credentials helper, the websocket `Origin` check and the Django middleware read."""
from __future__ import annotations

from coderportal import config
from workspaces.appproxy.appurl import parse_host


def _host(scope) -> str:
    for name, value in scope.get("headers", []):
        if name.lower() == b"host":
            return value.decode("latin-1")
    return ""


class SubdomainAppRouter:
    def __init__(self, portal, apps):
        self.portal, self.apps = portal, apps

    async def __call__(self, scope, receive, send):
        if scope["type"] in ("http", "websocket"):
            host = _host(scope)
            app = parse_host(host, config.get("CODER_WILDCARD_ACCESS_URL"))
            if app is not None:
                hostname = host.rsplit(":", 1)[0].lower() if not host.startswith("[") else host.lower()
                return await self.apps(dict(scope, coder_app=app, coder_app_host=hostname), receive, send)
        return await self.portal(scope, receive, send)
