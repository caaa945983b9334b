"""The embedded Celery broker: kombu's filesystem transport, made safe for several processes.

kombu's filesystem transport creates a message file under its final name and only then writes
into it, so a worker polling the folder can claim and parse a file that is still empty (the
`system` worker died of `JSONDecodeError('Expecting value: line 1 column 1 (char 0)')` that
way). This transport differs in three points and nothing else:

- a message is written under a temporary name in a sibling folder on the same filesystem and
  renamed into the queue folder, so a reader sees a whole message or none;
- a message that still cannot be parsed (a torn write from before, a full disk, a hand edit)
  is logged and moved to a `quarantine` folder, and the worker goes on with the next message;
- the exchange table (queue bindings) is created the same way, so a process starting up never
  reads an empty table.

Selected with `CELERY_BROKER_TRANSPORT` (see settings.py); kombu resolves the class path.
"""
from __future__ import annotations

import logging
import os
import tempfile
import uuid
from queue import Empty
from time import monotonic

from kombu.exceptions import ChannelError
from kombu.transport import filesystem
from kombu.utils.encoding import bytes_to_str, str_to_bytes
from kombu.utils.json import dumps, loads

log = logging.getLogger(__name__)


def _write_atomically(folder: str, final_path: str, data: bytes, *, replace: bool = True) -> None:
    """Write `data` to a temporary file in `folder`, flush it, then move it to `final_path`.

    With `replace=False` the move fails with FileExistsError when `final_path` exists
    (link + unlink), so two processes creating the same file cannot overwrite each other.
    """
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".incoming-")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        if replace:
            os.replace(tmp, final_path)
        else:
            os.link(tmp, final_path)
    finally:
        try:
            os.unlink(tmp)  # left after a link, or after a failure; gone after a rename
        except FileNotFoundError:
            pass


class Channel(filesystem.Channel):
    """Filesystem channel whose messages appear atomically and whose bad messages are set aside."""

    @property
    def _incoming_folder(self) -> str:
        folder = self.transport_options.get("incoming_folder") or os.path.join(
            os.path.dirname(os.path.abspath(self.data_folder_out)), "incoming")
        os.makedirs(folder, exist_ok=True)
        return folder

    @property
    def _quarantine_folder(self) -> str:
        folder = self.transport_options.get("quarantine_folder") or os.path.join(
            os.path.dirname(os.path.abspath(self.data_folder_in)), "quarantine")
        os.makedirs(folder, exist_ok=True)
        return folder

    @property
    def _claimed_folder(self) -> str:
        # Claimed messages are renamed here first (same filesystem, so the rename is atomic and
        # exactly one worker wins); the parent moved them to the system temp dir instead.
        folder = os.path.join(os.path.dirname(os.path.abspath(self.data_folder_in)), "claimed")
        os.makedirs(folder, exist_ok=True)
        return folder

    def _put(self, queue, payload, **kwargs):
        name = f"{int(round(monotonic() * 1000))}_{uuid.uuid4()}.{queue}.msg"
        try:
            _write_atomically(self._incoming_folder, os.path.join(self.data_folder_out, name),
                              str_to_bytes(dumps(payload)))
        except OSError as exc:
            raise ChannelError(f"Cannot add message {name!r} to the queue folder") from exc

    def _get(self, queue):
        suffix = f"{queue}.msg"
        for name in sorted(os.listdir(self.data_folder_in)):
            if name.partition(".")[2] != suffix:
                continue
            claimed = os.path.join(self._claimed_folder, name)
            try:
                os.rename(os.path.join(self.data_folder_in, name), claimed)
            except OSError:
                continue  # another worker claimed it first
            try:
                with open(claimed, "rb") as handle:
                    raw = handle.read()
                message = loads(bytes_to_str(raw))
                if not isinstance(message, dict):
                    raise ValueError(f"a message is a JSON object, not {type(message).__name__}")
            except (OSError, ValueError, UnicodeDecodeError) as exc:
                self._set_aside(claimed, name, exc)
                continue
            os.unlink(claimed)
            return message
        raise Empty()

    def _set_aside(self, path: str, name: str, error: Exception) -> None:
        target = os.path.join(self._quarantine_folder, name)
        try:
            os.replace(path, target)
        except OSError:
            target = "(could not be moved; removed)"
            try:
                os.unlink(path)
            except OSError:
                pass
        log.error("embedded broker: malformed message %s set aside as %s: %s", name, target, error)

    def _queue_bind(self, exchange, routing_key, pattern, queue):
        file = self._exchange_file(exchange)
        if not file.exists():
            self.control_folder.mkdir(parents=True, exist_ok=True)
            entry = filesystem.exchange_queue_t(routing_key or "", pattern or "", queue or "")
            try:
                _write_atomically(str(self.control_folder), str(file), str_to_bytes(dumps([entry])), replace=False)
                return
            except FileExistsError:
                pass  # created by another process meanwhile: add to it under its lock below
            except OSError as exc:
                raise ChannelError(f"Cannot create {file}") from exc
        super()._queue_bind(exchange, routing_key, pattern, queue)


class Transport(filesystem.Transport):
    Channel = Channel
    driver_type = driver_name = "filesystem"
