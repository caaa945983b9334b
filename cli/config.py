"""Where the CLI keeps its session: the config directory (`--global-config`,
`$CODER_CONFIG_DIR`, default `~/.config/coderportal`) holds `url` and `session`, as Coder's
CLI keeps them; `--url`/`$CODER_URL` and `--token`/`$CODER_SESSION_TOKEN` override them."""
from __future__ import annotations

import os
from pathlib import Path

from .client import Client


class CLIError(Exception):
    """A failure shown as one `error: ...` line with a non-zero exit status."""

    def __init__(self, message: str, status: int = 1):
        super().__init__(message)
        self.status = status


def config_dir(args) -> Path:
    chosen = getattr(args, "global_config", "") or os.environ.get("CODER_CONFIG_DIR", "")
    return Path(chosen or "~/.config/coderportal").expanduser()


def _read(path: Path) -> str:
    try:
        return path.read_text().strip()
    except OSError:
        return ""


def normalize_url(url: str) -> str:
    url = url.strip().rstrip("/")
    return url if "://" in url else "https://" + url


def stored_url(args) -> str:
    return getattr(args, "url", "") or os.environ.get("CODER_URL", "") or _read(config_dir(args) / "url")


def session(args) -> Client:
    url = stored_url(args)
    token = getattr(args, "token", "") or os.environ.get("CODER_SESSION_TOKEN", "") or _read(
        config_dir(args) / "session")
    if not url or not token:
        raise CLIError("You are not logged in. Try logging in using 'coderportal login <url>'.")
    return Client(normalize_url(url), token)


def save(args, url: str, token: str) -> Path:
    folder = config_dir(args)
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    (folder / "url").write_text(url + "\n")
    session_file = folder / "session"
    session_file.touch(mode=0o600)
    os.chmod(session_file, 0o600)
    session_file.write_text(token + "\n")
    return folder


def forget(args) -> bool:
    removed = False
    for name in ("session", "url"):
        try:
            (config_dir(args) / name).unlink()
            removed = True
        except FileNotFoundError:
            pass
    return removed
