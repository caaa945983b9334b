"""HTTP client for the portal's agent API (stdlib only): JSON in, JSON out, the agent token
in the `Coder-Session-Token` header. Paths are documented in docs/agent.md."""
from __future__ import annotations

import json
import time
import urllib.error
import urllib.request

TOKEN_HEADER = "Coder-Session-Token"
API = "/api/v2/workspaceagents/me"


class APIError(Exception):
    def __init__(self, status: int, body: str):
        super().__init__(f"HTTP {status}: {body[:200]}")
        self.status = status
        self.body = body


class Client:
    def __init__(self, url: str, token: str, timeout: float = 15.0):
        self.url = url.rstrip("/")
        self.token = token
        self.timeout = timeout
        # When set (time.monotonic()), no request waits past it: the agent's bounded shutdown.
        self.deadline: float | None = None

    def _timeout(self) -> float:
        if self.deadline is None:
            return self.timeout
        remaining = self.deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError("the agent's shutdown deadline has passed")
        return min(self.timeout, remaining)

    def request(self, method: str, path: str, body=None):
        timeout = self._timeout()
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.url + path, data=data, method=method)
        req.add_header(TOKEN_HEADER, self.token)
        req.add_header("Accept", "application/json")
        if data is not None:
            req.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(req, timeout=timeout) as resp:
                raw = resp.read()
        except urllib.error.HTTPError as exc:
            raise APIError(exc.code, exc.read().decode(errors="replace")) from None
        return json.loads(raw) if raw else None

    # The agent API, one method per endpoint.
    def manifest(self) -> dict:
        return self.request("GET", f"{API}/manifest")

    def report_lifecycle(self, state: str, changed_at: str) -> None:
        self.request("POST", f"{API}/report-lifecycle", {"state": state, "changed_at": changed_at})

    def patch_logs(self, source_id: str | None, logs: list[dict]) -> None:
        self.request("PATCH", f"{API}/logs", {"log_source_id": source_id or "", "logs": logs})

    def report_metadata(self, items: list[dict]) -> None:
        self.request("POST", f"{API}/metadata", {"metadata": items})

    def report_stats(self, stats: dict) -> dict:
        return self.request("POST", f"{API}/report-stats", stats) or {}

    def report_startup(self, version: str, api_version: str, expanded_directory: str) -> None:
        self.request("POST", f"{API}/startup", {"version": version, "api_version": api_version,
                                                "expanded_directory": expanded_directory, "subsystems": []})

    def report_app_health(self, healths: dict) -> None:
        self.request("POST", f"{API}/app-health", {"healths": healths})

    def disconnect(self) -> None:
        self.request("POST", f"{API}/disconnect", {})
