"""Real servers on loopback for notification tests: an SMTP server (aiosmtpd) and an HTTP
webhook receiver that can fail its first N requests or hold requests until released."""
from __future__ import annotations

import json
import socket
import threading
from email import message_from_bytes
from email.policy import default as default_policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from aiosmtpd.controller import Controller


class _Mailbox:
    def __init__(self):
        self.messages = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        parsed = message_from_bytes(envelope.content, policy=default_policy)
        with self.lock:
            self.messages.append({"to": list(envelope.rcpt_tos), "from": envelope.mail_from, "email": parsed})
        return "250 OK"


class SMTPServer:
    def __init__(self):
        self.mailbox = _Mailbox()
        # aiosmtpd's readiness check connects to the configured port, so it must be a real one.
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.controller = Controller(self.mailbox, hostname="127.0.0.1", port=self.port)

    def __enter__(self):
        self.controller.start()
        return self

    def __exit__(self, *exc):
        self.controller.stop()

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def messages(self) -> list[dict]:
        with self.mailbox.lock:
            return list(self.mailbox.messages)


class WebhookReceiver:
    """Records accepted requests (2xx) with their headers and JSON body.

    `fail_first`: answer 503 to this many requests first; `hold`: a threading.Event that
    requests wait on before answering (never recorded if the client goes away first).
    """

    def __init__(self, fail_first: int = 0):
        self.fail_first = fail_first
        self.attempts = 0
        self.accepted: list[dict] = []
        self.hold: threading.Event | None = None
        self.held = 0
        self.dropped: set[threading.Event] = set()
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                hold = receiver.hold
                if hold is not None:
                    with receiver.lock:
                        receiver.held += 1
                    hold.wait(timeout=120)
                    if hold in receiver.dropped:  # released by dropping: never answered
                        return
                with receiver.lock:
                    receiver.attempts += 1
                    failing = receiver.attempts <= receiver.fail_first
                    if not failing:
                        receiver.accepted.append({"headers": dict(self.headers), "json": json.loads(body)})
                self.send_response(503 if failing else 200)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def hold_requests(self) -> None:
        """From now on requests wait (the client sees no answer) until `drop_held()`."""
        self.hold = threading.Event()

    def drop_held(self) -> None:
        """Requests held so far are dropped unanswered; new requests are answered again."""
        hold, self.hold = self.hold, None
        if hold is not None:
            self.dropped.add(hold)
            hold.set()

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.drop_held()
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=10)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hook"
