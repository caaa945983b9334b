"""The HTTP side of the app proxy: `/@<owner>/<workspace>[.<agent>]/apps/<slug>/<path>`.

Each request becomes one HTTP/1.1 connection (`Connection: close`) to the app's host and
port inside the workspace, over a relay TCP stream; h11 frames both directions, the
response body is streamed back as it arrives. The portal's own credentials (the token
header and cookie, the session and CSRF cookies, a bearer token that is a portal token) are
never forwarded, and cookies an app sets under a portal cookie's name are dropped.
`X-Forwarded-*` tell the app who asked and where it is mounted.
"""
from __future__ import annotations

from http.cookies import CookieError, SimpleCookie

import h11
from asgiref.sync import sync_to_async
from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import HttpResponse, HttpResponseRedirect, StreamingHttpResponse
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.csrf import csrf_exempt

from accounts import rbac
from coderportal.api.authentication import SESSION_TOKEN_COOKIE
from workspaces.appproxy.access import LoginRequired, Target, resolve
from workspaces.appproxy.tunnel import RelayTunnel, TlsTunnel, TunnelError, open_tunnel
from workspaces.services import activity

# Path-based apps share the portal's origin: a page of someone else's app could otherwise
# call the portal API with the viewer's cookies. Pages opened by anyone but the workspace's
# owner therefore run sandboxed (an opaque origin: no portal cookies, no same-origin API access).
SANDBOX_CSP = "sandbox allow-scripts allow-forms allow-popups allow-modals allow-downloads"
HOP_BY_HOP = {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailer",
              "trailers", "transfer-encoding", "upgrade", "host", "content-length"}
CHUNK = 65536


PORTAL_COOKIE_PREFIX = "coder_"  # every cookie of ours that is not Django's own


def is_portal_cookie(name: str) -> bool:
    name = name.strip().lower()
    own = {SESSION_TOKEN_COOKIE, settings.SESSION_COOKIE_NAME, settings.CSRF_COOKIE_NAME, "messages"}
    return name in {n.lower() for n in own} or name.startswith(PORTAL_COOKIE_PREFIX)


def strip_cookies(header: str) -> str:
    kept = [part.strip() for part in header.split(";")
            if part.strip() and not is_portal_cookie(part.split("=", 1)[0])]
    return "; ".join(kept)


def app_set_cookies(value: str) -> SimpleCookie:
    """The cookies of one `Set-Cookie` header from an app, minus those naming portal cookies
    (an app must not plant a session or CSRF cookie on the portal's origin or domain)."""
    cookie = SimpleCookie()
    try:
        cookie.load(value)
    except CookieError:
        return SimpleCookie()
    for name in [name for name in cookie if is_portal_cookie(name)]:
        del cookie[name]
    return cookie


def upstream_headers(items, *, target: Target, prefix: str, client: str, proto: str, host: str) -> list:
    """Request headers for the app, from (name, value) pairs as the client sent them."""
    out = []
    for name, value in items:
        lower = name.lower()
        if lower in HOP_BY_HOP or lower in ("coder-session-token", "x-forwarded-for", "x-forwarded-host",
                                            "x-forwarded-proto", "x-forwarded-prefix"):
            continue
        if lower.startswith("sec-websocket-"):
            continue
        if lower == "authorization" and value.lower().startswith("bearer ") and "-" in value[7:]:
            continue  # a portal token (`<id>-<secret>`), not the app's credentials
        if lower == "cookie":
            value = strip_cookies(value)
            if not value:
                continue
        out.append((name, value))
    default_port = 443 if target.scheme == "https" else 80
    out.append(("Host", target.host if target.port == default_port else f"{target.host}:{target.port}"))
    out += [("X-Forwarded-For", client), ("X-Forwarded-Host", host), ("X-Forwarded-Proto", proto),
            ("X-Forwarded-Prefix", prefix)]
    return out


def rewrite_location(location: str, target: Target, prefix: str) -> str:
    """Redirects inside the app stay inside its proxy path."""
    origin = f"{target.scheme}://{target.host}"
    for own in (f"{origin}:{target.port}", origin):
        if location.startswith(own + "/"):
            location = location[len(own):]
            break
    if location.startswith("/") and not location.startswith("//"):
        base = target.base_path
        if not base or location == base or location.startswith(base + "/"):
            return prefix + location[len(base):]
    return location


def _request_headers(request) -> list[tuple[str, str]]:
    items = [(key[5:].replace("_", "-").title(), value) for key, value in request.META.items()
             if key.startswith("HTTP_")]
    if request.META.get("CONTENT_TYPE"):
        items.append(("Content-Type", request.META["CONTENT_TYPE"]))
    return items


@csrf_exempt
@xframe_options_exempt
async def app_proxy(request, username: str, target: str, slug: str, rest: str | None = None):
    subject = await sync_to_async(rbac.request_subject)(request)
    try:
        app_target = await sync_to_async(resolve)(subject, username, target, slug)
    except LoginRequired:
        return redirect_to_login(request.get_full_path())
    except rbac.NotFound:
        return HttpResponse("Application not found.", status=404, content_type="text/plain")
    prefix = f"/@{username}/{target}/apps/{slug}"
    if rest is None:  # Coder redirects the bare app path to the app's root
        query = request.META.get("QUERY_STRING", "")
        return HttpResponseRedirect(prefix + "/" + (f"?{query}" if query else ""))
    return await forward(request, app_target, prefix, rest)


async def forward(request, app_target: Target, prefix: str, rest: str):
    """Carry `request` to the app (path-based under `prefix`, or a subdomain app with prefix "")."""
    if not app_target.connected:
        return HttpResponse("Failed to reach the app: the workspace agent is not connected.", status=502,
                            content_type="text/plain")
    await activity.arecord_activity(app_target.workspace.pk, "app")
    try:
        tunnel = await open_tunnel(app_target.agent.pk, app_target.host, app_target.port, app_target.scheme)
    except TunnelError as exc:
        return HttpResponse(f"Failed to reach the app: {exc}", status=502, content_type="text/plain")
    try:
        return await _exchange(request, tunnel, app_target, prefix, rest)
    except (TunnelError, h11.ProtocolError) as exc:
        await tunnel.close()
        return HttpResponse(f"Bad answer from the app: {exc}", status=502, content_type="text/plain")


async def _exchange(request, tunnel: RelayTunnel | TlsTunnel, app_target: Target, prefix: str, rest: str):
    conn = h11.Connection(h11.CLIENT)
    path = app_target.base_path + "/" + rest
    if request.META.get("QUERY_STRING"):
        path += "?" + request.META["QUERY_STRING"]
    headers = upstream_headers(_request_headers(request), target=app_target, prefix=prefix,
                               client=request.META.get("REMOTE_ADDR", ""), proto=request.scheme,
                               # The Host as received: app hosts were matched against the wildcard
                               # domain by the router, portal hosts validated by Django already.
                               host=request.META.get("HTTP_HOST", ""))
    length = request.META.get("CONTENT_LENGTH")
    body = b"" if length else await sync_to_async(request.read)()  # no length: small, read it whole
    size = int(length) if length else len(body)
    headers += [("Content-Length", str(size)), ("Connection", "close")]
    await tunnel.write(conn.send(h11.Request(method=request.method, target=path, headers=headers)))
    if length:
        while chunk := await sync_to_async(request.read)(CHUNK):
            await tunnel.write(conn.send(h11.Data(data=chunk)))
    elif body:
        await tunnel.write(conn.send(h11.Data(data=body)))
    await tunnel.write(conn.send(h11.EndOfMessage()))

    while True:
        event = conn.next_event()
        if event is h11.NEED_DATA:
            conn.receive_data(await tunnel.read())
            continue
        if isinstance(event, h11.Response):
            break
        if isinstance(event, h11.ConnectionClosed):
            raise TunnelError("the app closed the connection without answering")

    async def body_chunks():
        try:
            while True:
                item = conn.next_event()
                if item is h11.NEED_DATA:
                    conn.receive_data(await tunnel.read())
                elif isinstance(item, h11.Data):
                    yield bytes(item.data)
                elif isinstance(item, (h11.EndOfMessage, h11.ConnectionClosed)):
                    return
        except h11.ProtocolError:
            return
        finally:
            await tunnel.close()

    response = StreamingHttpResponse(body_chunks(), status=event.status_code,
                                     reason=event.reason.decode(errors="replace") or None)
    del response["Content-Type"]
    for raw_name, raw_value in event.headers:
        name, value = raw_name.decode(), raw_value.decode("latin-1")
        if name.lower() in HOP_BY_HOP:
            continue
        if name.lower() == "set-cookie":
            for key, morsel in app_set_cookies(value).items():
                response.cookies[key] = morsel
            continue
        if name.lower() == "location":
            value = rewrite_location(value, app_target, prefix)
        response[name] = value
    if app_target.sandboxed:
        own = response.get("Content-Security-Policy")
        response["Content-Security-Policy"] = f"{own}, {SANDBOX_CSP}" if own else SANDBOX_CSP
    return response
