"""HTTP client for the portal's /api/v2 (stdlib only): JSON in and out, raw uploads, and
Server-Sent Events for following logs. Errors carry Coder's `message`/`detail` so the
CLI can print them on one line."""
from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request

TOKEN_HEADER = "Coder-Session-Token"


class APIError(Exception):
    def __init__(self, status: int, body: str):
        self.status = status
        self.body = body
        try:
            data = json.loads(body)
        except ValueError:
            data = None
        if isinstance(data, dict) and data.get("message"):
            text = str(data["message"])
            if data.get("detail"):
                text += f": {data['detail']}"
            for v in data.get("validations") or []:
                text += f" ({v.get('field')}: {v.get('detail')})"
        else:
            text = body.strip().splitlines()[0][:200] if body.strip() else "no details"
        super().__init__(f"HTTP {status}: {text}")


class Client:
    def __init__(self, url: str, token: str = "", timeout: float = 300.0):
        self.url = url.rstrip("/")
        self.token = token
        self.timeout = timeout

    def _open(self, method: str, path: str, data: bytes | None, content_type: str, accept: str,
              timeout: float | None):
        req = urllib.request.Request(self.url + path, data=data, method=method)
        if self.token:
            req.add_header(TOKEN_HEADER, self.token)
        req.add_header("Accept", accept)
        req.add_header("User-Agent", "coderportal-cli")
        if data is not None:
            req.add_header("Content-Type", content_type)
        try:
            return urllib.request.urlopen(req, timeout=timeout or self.timeout)
        except urllib.error.HTTPError as exc:
            raise APIError(exc.code, exc.read().decode(errors="replace")) from None
        except urllib.error.URLError as exc:
            raise OSError(f"cannot reach {self.url}: {exc.reason}") from None

    def request(self, method: str, path: str, body=None):
        data = None if body is None else json.dumps(body).encode()
        with self._open(method, path, data, "application/json", "application/json", None) as resp:
            raw = resp.read()
        return json.loads(raw) if raw else None

    def raw(self, method: str, path: str, data: bytes | None = None,
            content_type: str = "application/octet-stream") -> bytes:
        with self._open(method, path, data, content_type, "*/*", None) as resp:
            return resp.read()

    def request_raw_json(self, method: str, path: str, data: bytes, content_type: str):
        """Upload raw bytes, read a JSON answer (`POST /files`)."""
        with self._open(method, path, data, content_type, "application/json", None) as resp:
            return json.loads(resp.read())

    def events(self, path: str):
        """Yield the JSON `data` of each `event: data` of a Server-Sent Events stream until `complete`."""
        sep = "&" if "?" in path else "?"
        # `*/*`: the API negotiates JSON renderers; the follow view answers with text/event-stream.
        with self._open("GET", f"{path}{sep}follow=true", None, "", "*/*", 3600) as resp:
            event, data = "", []
            for raw in resp:
                line = raw.decode(errors="replace").rstrip("\r\n")
                if line.startswith("event:"):
                    event = line[6:].strip()
                elif line.startswith("data:"):
                    data.append(line[5:].strip())
                elif not line:
                    if event == "complete":
                        return
                    if event == "data" and data:
                        yield json.loads("\n".join(data))
                    event, data = "", []


def quote(value: str) -> str:
    return urllib.parse.quote(str(value), safe="")
