"""Turning Terraform's `-json` UI events into build log lines and error messages.

Owns: the stage names (Coder's), the mapping of event levels to Coder log levels, the
rendering of diagnostics (summary, location, snippet, detail) and collecting the error
diagnostics of a command into the message a failed job reports.
"""

from __future__ import annotations

from typing import Callable

from .types import SOURCE_DAEMON, SOURCE_PROVISIONER, LogLine

STAGE_SETUP = "Setting up"
STAGE_PARSE = "Parsing template parameters"
STAGE_PERSISTENT = "Detecting persistent resources"
STAGE_EPHEMERAL = "Detecting ephemeral resources"
STAGE_PLAN = "Planning infrastructure"
STAGE_CLEANUP = "Cleaning Up"
APPLY_STAGES = {"start": "Starting workspace", "stop": "Stopping workspace",
                "delete": "Destroying workspace"}

_LEVELS = {"trace": "trace", "debug": "debug", "info": "info", "warn": "warn",
           "warning": "warn", "error": "error"}

Emit = Callable[[LogLine], None]


def render_diagnostic(diagnostic: dict) -> list[str]:
    """Terraform's human rendering of one diagnostic, as lines."""
    severity = "Error" if diagnostic.get("severity") == "error" else "Warning"
    lines = [f"{severity}: {diagnostic.get('summary', '')}"]
    where = diagnostic.get("range") or {}
    if where.get("filename"):
        lines += ["", f"  on {where['filename']} line {where.get('start', {}).get('line', '?')}:"]
        code = (diagnostic.get("snippet") or {}).get("code")
        if code:
            start = (diagnostic.get("snippet") or {}).get("start_line", "")
            lines += [f"  {start}: {code_line}" for code_line in code.splitlines()]
    if diagnostic.get("detail"):
        lines += [""] + diagnostic["detail"].splitlines()
    return lines


def diagnostic_message(diagnostic: dict) -> str:
    """One-line form for error messages: `summary: detail (file:line)`."""
    text = diagnostic.get("summary", "").strip()
    detail = " ".join(diagnostic.get("detail", "").split())
    if detail:
        text = f"{text}: {detail}"
    where = diagnostic.get("range") or {}
    if where.get("filename"):
        text += f" ({where['filename']}:{where.get('start', {}).get('line', '?')})"
    return text


class EventLog:
    """Receives the events of one Terraform command, emits log lines, keeps errors."""

    def __init__(self, emit: Emit, stage: str):
        self._emit = emit
        self.stage = stage
        self.errors: list[dict] = []

    def daemon(self, output: str, level: str = "info") -> None:
        self._emit(LogLine(stage=self.stage, output=output, level=level,
                           source=SOURCE_DAEMON))

    def __call__(self, event: dict) -> None:
        kind = event.get("type")
        level = _LEVELS.get(str(event.get("@level", "info")).lower(), "info")
        if kind == "version":
            level = "debug"
        if kind == "diagnostic":
            diagnostic = event.get("diagnostic") or {}
            if diagnostic.get("severity") == "error":
                self.errors.append(diagnostic)
                level = "error"
            else:
                level = "warn"
            lines = render_diagnostic(diagnostic)
        else:
            lines = str(event.get("@message", "")).splitlines() or [""]
        for line in lines:
            self._emit(LogLine(stage=self.stage, output=line, level=level,
                               source=SOURCE_PROVISIONER))

    def error_message(self, fallback: str) -> str:
        if self.errors:
            return "\n".join(diagnostic_message(d) for d in self.errors)
        return fallback
