"""Writes an interception's records, and logs each one when structured logging is on.

The interception start is written before anything goes upstream (a failure refuses the
request). Token, prompt and tool rows are written by tasks of their own so the stream never
waits on the database; `close()` records the end and waits for every pending write, so all
rows exist before the response finishes. Timestamps are taken when a record is made.

Each record's log line (logger `coderd.aibridgedserver`, Coder's messages and fields) is
emitted before its insert, so it is there even when the database write fails.
"""
from __future__ import annotations

import asyncio
import logging
import secrets
import uuid
from datetime import datetime, timezone

from aibridge import conf, db, metrics
from aibridge.models import Interception, TokenUsage, ToolUsage, UserPrompt
from aibridge.usage import Tokens

records_log = logging.getLogger("coderd.aibridgedserver")
log = logging.getLogger(__name__)
WRITE_TIMEOUT = 5.0  # seconds per record, as Coder's recordingTimeout


def now() -> datetime:
    return datetime.now(timezone.utc)


def rfc3339(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class Recorder:
    def __init__(self, *, initiator_id: uuid.UUID, api_key_id: str, provider: str, model: str):
        self.id = uuid.uuid4()
        self.initiator_id = initiator_id
        self.api_key_id = api_key_id
        self.provider = provider
        self.model = model
        self.trace = secrets.token_hex(16)
        self.logging = conf.structured_logging()
        self._tasks: set[asyncio.Task] = set()
        self._closed = False

    # --- structured log ----------------------------------------------------------------------
    def _log(self, message: str, record_type: str, **fields) -> None:
        if self.logging:
            records_log.info(message, extra={"trace": self.trace, "span": secrets.token_hex(8),
                                             "record_type": record_type, **fields})

    # --- records ---------------------------------------------------------------------------------
    async def start(self) -> None:
        """Record the interception; raises when it cannot be stored (nothing may go upstream then)."""
        started_at = now()
        self._log("interception started", "interception_start", interception_id=str(self.id),
                  initiator_id=str(self.initiator_id), api_key_id=self.api_key_id, provider=self.provider,
                  model=self.model, started_at=rfc3339(started_at), metadata={})
        await db.run(Interception.objects.create, id=self.id, initiator_id=self.initiator_id,
                     api_key_id=self.api_key_id, provider=self.provider, model=self.model, metadata={},
                     started_at=started_at)

    def tokens(self, msg_id: str, tokens: Tokens) -> None:
        created_at = now()
        self._log("token usage recorded", "token_usage", interception_id=str(self.id), msg_id=msg_id,
                  input_tokens=tokens.input, output_tokens=tokens.output, created_at=rfc3339(created_at),
                  metadata=tokens.metadata)
        row = TokenUsage(interception_id=self.id, provider_response_id=msg_id, input_tokens=tokens.input,
                         output_tokens=tokens.output, metadata=tokens.metadata, created_at=created_at)
        self._spawn("token", db.run(row.save, force_insert=True))
        labels = {"provider": self.provider, "model": self.model, "initiator_id": str(self.initiator_id)}
        metrics.inc(metrics.TOKENS, tokens.input, type="input", **labels)
        metrics.inc(metrics.TOKENS, tokens.output, type="output", **labels)
        for key, count in tokens.metadata.items():
            metrics.inc(metrics.TOKENS, count, type=key, **labels)

    def prompt(self, msg_id: str, prompt: str) -> None:
        created_at = now()
        self._log("prompt usage recorded", "prompt_usage", interception_id=str(self.id), msg_id=msg_id,
                  prompt=prompt, created_at=rfc3339(created_at), metadata={})
        row = UserPrompt(interception_id=self.id, provider_response_id=msg_id, prompt=prompt, metadata={},
                         created_at=created_at)
        self._spawn("prompt", db.run(row.save, force_insert=True))
        if prompt:
            metrics.inc(metrics.PROMPTS, provider=self.provider, model=self.model, initiator_id=str(self.initiator_id))

    def tool(self, msg_id: str, tool: str, tool_input: str, *, server_url: str | None = None, injected: bool = False,
             invocation_error: str | None = None) -> None:
        created_at = now()
        self._log("tool usage recorded", "tool_usage", interception_id=str(self.id), msg_id=msg_id, tool=tool,
                  input=tool_input, server_url=server_url or "", injected=injected,
                  invocation_error=invocation_error or "", created_at=rfc3339(created_at), metadata={})
        row = ToolUsage(interception_id=self.id, provider_response_id=msg_id, tool=tool, input=tool_input,
                        server_url=server_url, injected=injected, invocation_error=invocation_error, metadata={},
                        created_at=created_at)
        self._spawn("tool", db.run(row.save, force_insert=True))
        if not injected:
            metrics.inc(metrics.TOOL_SELECTIONS, provider=self.provider, model=self.model, name=tool)

    async def close(self, *, failed: bool = False) -> None:
        """Record the end (once) and wait until every record is stored or has given up."""
        if not self._closed:
            self._closed = True
            ended_at = now()
            self._log("interception ended", "interception_end", interception_id=str(self.id),
                      ended_at=rfc3339(ended_at))
            # Only the first end counts (Coder's `WHERE ended_at IS NULL`).
            update = db.run(Interception.objects.filter(id=self.id, ended_at__isnull=True).update, ended_at=ended_at)
            self._spawn("interception_end", update)
            metrics.inc(metrics.INTERCEPTIONS, provider=self.provider, model=self.model,
                        status="failed" if failed else "completed", initiator_id=str(self.initiator_id))
        cancelled = False
        while self._tasks:
            flush = asyncio.gather(*list(self._tasks), return_exceptions=True)
            try:
                await asyncio.shield(flush)
            except asyncio.CancelledError:
                # The client left while we flushed (the server cancels the response): the
                # records still get written, then the cancellation goes on.
                cancelled = True
        if cancelled:
            raise asyncio.CancelledError

    # --- plumbing --------------------------------------------------------------------------------
    def _spawn(self, kind: str, write) -> None:
        task = asyncio.ensure_future(self._write(kind, write))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _write(self, kind: str, write) -> None:
        try:
            await asyncio.wait_for(write, WRITE_TIMEOUT)
        except Exception:
            log.warning("failed to record usage", extra={"type": kind, "interception_id": str(self.id)},
                        exc_info=True)
