"""The websocket side of the app proxy (same paths as the HTTP side): the client's websocket
is accepted once the app accepted a websocket handshake made over a relay TCP stream
(websockets' sans-I/O client speaks it); then messages are copied both ways. Sharing
levels as for HTTP: a refused or unknown app closes with 4404 (4401 for anonymous)."""
from __future__ import annotations

import asyncio

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from websockets.client import ClientProtocol
from websockets.frames import Opcode
from websockets.http11 import Response
from websockets.uri import parse_uri

from accounts import rbac
from workspaces.appproxy.access import LoginRequired, resolve
from workspaces.appproxy.http_proxy import upstream_headers
from workspaces.appproxy.tunnel import RelayTunnel, TlsTunnel, TunnelError, open_tunnel
from workspaces.services import activity


class AppWebsocketProxy(AsyncWebsocketConsumer):
    tunnel: RelayTunnel | TlsTunnel | None = None
    pump: asyncio.Task | None = None

    async def websocket_connect(self, message):
        # Decide before accepting: the client's handshake gets the app's subprotocol.
        kwargs = dict(self.scope["url_route"]["kwargs"])
        app = self.scope.get("coder_app")  # a subdomain app's host (hosts.py)
        if app is not None:
            kwargs.update(username=app.user, target=f"{app.workspace}.{app.agent}", slug=app.app)
        subject = await database_sync_to_async(rbac.request_subject)(self.scope)
        try:
            target = await database_sync_to_async(resolve)(subject, kwargs["username"], kwargs["target"],
                                                           kwargs["slug"], path_based=app is None)
        except LoginRequired:
            return await self._refuse(4401)
        except rbac.NotFound:
            return await self._refuse(4404)
        if not target.connected:
            return await self._refuse(4502)
        await activity.arecord_activity(target.workspace.pk, "app")
        try:
            self.tunnel = await open_tunnel(target.agent.pk, target.host, target.port, target.scheme)
        except TunnelError:
            return await self._refuse(4502)
        prefix = "" if app is not None else f"/@{kwargs['username']}/{kwargs['target']}/apps/{kwargs['slug']}"
        path = target.base_path + "/" + kwargs.get("rest", "")
        query = self.scope.get("query_string", b"").decode()
        scheme = "wss" if target.scheme == "https" else "ws"
        uri = parse_uri(f"{scheme}://{target.host}:{target.port}{path}" + (f"?{query}" if query else ""))
        self.protocol = ClientProtocol(uri, subprotocols=self.scope.get("subprotocols") or None, max_size=None)
        request = self.protocol.connect()
        client_headers = [(k.decode(), v.decode("latin-1")) for k, v in self.scope.get("headers", [])]
        client = (self.scope.get("client") or ["", 0])[0]
        host = dict(client_headers).get("host", "")
        for name, value in upstream_headers(client_headers, target=target, prefix=prefix, client=client,
                                            proto="https" if self.scope.get("scheme") == "wss" else "http", host=host):
            if name.lower() not in ("host", "origin") and name.lower() not in request.headers:
                request.headers[name] = value
        self.protocol.send_request(request)
        await self._flush()
        response = None
        while response is None:
            data = await self.tunnel.read()
            if not data:
                return await self._refuse(4502)
            self.protocol.receive_data(data)
            for event in self.protocol.events_received():
                if isinstance(event, Response):
                    response = event
        if self.protocol.handshake_exc is not None:
            await self.tunnel.close()
            return await self._refuse(4502)
        await self.accept(subprotocol=response.headers.get("Sec-WebSocket-Protocol"))
        self.fragments: list[bytes] = []
        self.pump = asyncio.create_task(self._from_app())

    async def _refuse(self, code: int):
        # Accept, then close with a code: clients learn why instead of a bare handshake failure.
        await self.accept()
        await self.close(code=code)

    async def _flush(self):
        for data in self.protocol.data_to_send():
            if data:
                await self.tunnel.write(data)

    async def _from_app(self):
        try:
            while True:
                data = await self.tunnel.read()
                if not data:
                    self.protocol.receive_eof()
                else:
                    self.protocol.receive_data(data)
                for frame in self.protocol.events_received():
                    await self._deliver(frame)
                await self._flush()
                if not data:
                    break
        except (TunnelError, OSError):
            pass
        await self.close(code=self.protocol.close_rcvd.code if self.protocol.close_rcvd else 1000)

    async def _deliver(self, frame):
        if frame.opcode in (Opcode.TEXT, Opcode.BINARY):
            self.first_opcode = frame.opcode
        if frame.opcode in (Opcode.TEXT, Opcode.BINARY, Opcode.CONT):
            self.fragments.append(bytes(frame.data))
            if frame.fin:
                data = b"".join(self.fragments)
                self.fragments = []
                if self.first_opcode == Opcode.TEXT:
                    await self.send(text_data=data.decode(errors="replace"))
                else:
                    await self.send(bytes_data=data)

    async def receive(self, text_data=None, bytes_data=None):
        if self.tunnel is None or self.pump is None:
            return
        if text_data is not None:
            self.protocol.send_text(text_data.encode())
        else:
            self.protocol.send_binary(bytes_data or b"")
        await self._flush()

    async def disconnect(self, code):
        if self.pump is not None:
            self.pump.cancel()
            try:
                self.protocol.send_close()
                await self._flush()
            except Exception:  # noqa: BLE001 - the app or agent may be gone already
                pass
        if self.tunnel is not None:
            await self.tunnel.close()
