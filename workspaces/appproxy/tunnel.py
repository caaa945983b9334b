"""A TCP connection into a workspace over the agent's relay, for code that is not a
websocket consumer (the app proxy): a channel of its own on the channel layer receives
what the agent's relay consumer sends back (`relay.opened`, `relay.data`, `relay.closed`)."""
from __future__ import annotations

import asyncio
import base64
import uuid

from channels.layers import get_channel_layer

from workspaces.terminal.protocol import agent_group, send_patiently

OPEN_TIMEOUT_SECONDS = 15


class TunnelError(Exception):
    """The agent did not answer (not connected) or could not reach the port."""


class RelayTunnel:
    def __init__(self, agent_id, host: str, port: int):
        self.agent_id, self.host, self.port = agent_id, host, port
        self.stream = str(uuid.uuid4())
        self.layer = get_channel_layer()
        self.channel = ""
        self.relay = None
        self.closed = False

    async def open(self, timeout: float = OPEN_TIMEOUT_SECONDS) -> "RelayTunnel":
        self.channel = await self.layer.new_channel("app-proxy.")
        # One long-lived receive loop per tunnel, as a consumer has: the Redis layer shares one
        # blocking pop among a process's channels, and receives started and abandoned per read
        # (or cancelled by a timeout) can strand messages.
        self.inbox: asyncio.Queue = asyncio.Queue()
        self.receiver = asyncio.ensure_future(self._receive_loop())
        await self.layer.group_send(agent_group(self.agent_id), {
            "type": "relay.open", "stream": self.stream, "reply": self.channel,
            "open": {"op": "open", "stream": self.stream, "kind": "tcp", "host": self.host, "port": self.port}})
        try:
            message = await asyncio.wait_for(self.inbox.get(), timeout)
        except TimeoutError:
            self._stop_receiving()
            raise TunnelError("The workspace agent did not answer; is it connected?") from None
        if message.get("type") != "relay.opened":
            self.closed = True
            self._stop_receiving()
            raise TunnelError(message.get("error") or "The workspace agent could not connect to the app.")
        self.relay = message["relay"]
        return self

    async def write(self, data: bytes) -> None:
        if self.closed or not data:
            return
        if not await send_patiently(self.layer, self.relay, {
                "type": "relay.input", "stream": self.stream, "data": base64.b64encode(data).decode()}):
            await self.close()
            raise TunnelError("The workspace agent stopped reading.")

    async def read(self) -> bytes:
        """The next bytes from the app; b"" once the connection is closed."""
        if self.closed:
            return b""
        message = await self.inbox.get()
        if message.get("type") == "relay.data":
            return base64.b64decode(message["data"])
        if message.get("type") == "relay.closed":
            self.closed = True
            self._stop_receiving()
        return b""

    async def _receive_loop(self) -> None:
        while True:
            await self.inbox.put(await self.layer.receive(self.channel))

    def _stop_receiving(self) -> None:
        receiver = getattr(self, "receiver", None)
        if receiver is not None and not receiver.done():
            receiver.cancel()

    async def close(self) -> None:
        self._stop_receiving()
        if self.closed or self.relay is None:
            self.closed = True
            return
        self.closed = True
        try:
            await self.layer.send(self.relay, {"type": "relay.control",
                                               "message": {"op": "close", "stream": self.stream}})
        except Exception:  # noqa: BLE001 - a full or gone relay: the agent ends the stream itself
            pass


class TlsTunnel:
    """TLS over a relay tunnel, for apps whose URL is `https://`. Like Coder's proxy, the app's
    certificate is not verified: apps inside workspaces commonly use self-signed ones, and
    the relay already is the authenticated path to the workspace."""

    def __init__(self, raw: RelayTunnel, server_hostname: str):
        import ssl

        self.ssl = ssl
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        self.raw = raw
        self.incoming, self.outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
        self.tls = context.wrap_bio(self.incoming, self.outgoing, server_hostname=server_hostname)

    async def _flush(self) -> None:
        data = self.outgoing.read()
        if data:
            await self.raw.write(data)

    async def _fill(self) -> bool:
        data = await self.raw.read()
        if data:
            self.incoming.write(data)
        else:
            self.incoming.write_eof()
        return bool(data)

    async def handshake(self) -> "TlsTunnel":
        while True:
            try:
                self.tls.do_handshake()
                await self._flush()
                return self
            except self.ssl.SSLWantReadError:
                await self._flush()
                if not await self._fill():
                    raise TunnelError("the app closed the connection during the TLS handshake") from None
            except self.ssl.SSLError as exc:
                raise TunnelError(f"TLS with the app failed: {exc}") from None

    async def write(self, data: bytes) -> None:
        if data:
            self.tls.write(data)
            await self._flush()

    async def read(self) -> bytes:
        while True:
            try:
                return self.tls.read(65536)
            except self.ssl.SSLWantReadError:
                await self._flush()
                if not await self._fill() and not self.incoming.pending:
                    return b""
            except (self.ssl.SSLZeroReturnError, self.ssl.SSLEOFError):
                return b""
            except self.ssl.SSLError as exc:
                raise TunnelError(f"TLS with the app failed: {exc}") from None

    async def close(self) -> None:
        await self.raw.close()


async def open_tunnel(agent_id, host: str, port: int, scheme: str):
    """A tunnel to the app: plain TCP, or TLS for `https`."""
    raw = await RelayTunnel(agent_id, host, port).open()
    if scheme != "https":
        return raw
    try:
        return await TlsTunnel(raw, host).handshake()
    except TunnelError:
        await raw.close()
        raise
