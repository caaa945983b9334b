"""`login`, `logout`, `whoami`, `version`."""
from __future__ import annotations

import getpass
import os
import sys

from . import output
from .client import APIError, Client
from .config import CLIError, config_dir, forget, normalize_url, save, session, stored_url


def login(args) -> int:
    url = args.login_url or stored_url(args)
    if not url:
        raise CLIError("no URL: run `coderportal login <url>`")
    url = normalize_url(url)
    token = getattr(args, "token", "") or os.environ.get("CODER_SESSION_TOKEN", "")
    if not token:
        if not sys.stdin.isatty():
            raise CLIError(f"no token: pass --token, or open {url}/cli-auth on a terminal session")
        print(f"Open {url}/cli-auth in your browser to get a session token.", file=sys.stderr)
        token = getpass.getpass("Paste your token here: ").strip()
    try:
        me = Client(url, token).request("GET", "/api/v2/users/me")
    except APIError as exc:
        raise CLIError(f"login failed: {exc}") from None
    save(args, url, token)
    print(f"Welcome to coderportal, {me.get('username', '')}! You are now authenticated with {url}.")
    return 0


def logout(args) -> int:
    output.confirm(args, "Are you sure you want to log out?")
    folder = config_dir(args)
    try:
        client = session(args)
        client.request("POST", "/api/v2/users/logout")
    except (CLIError, APIError, OSError):
        pass  # the local session goes away even when the server cannot be reached
    if not forget(args):
        raise CLIError(f"you are not logged in ({folder} holds no session)")
    print("You are no longer logged in.")
    return 0


def whoami(args) -> int:
    client = session(args)
    me = client.request("GET", "/api/v2/users/me")
    print(f"Coder is running at {client.url}, You're authenticated as {me['username']} !")
    return 0


def version(args) -> int:
    from .main import VERSION

    server = ""
    try:
        url = stored_url(args)
        if url:
            server = Client(normalize_url(url)).request("GET", "/api/v2/buildinfo").get("version", "")
    except (APIError, OSError):
        server = "(unreachable)"
    print(f"coderportal CLI v{VERSION}" + (f"\nServer {server}" if server else ""))
    return 0


def register(tree) -> None:
    p = tree.command("login", login, "Authenticate with a portal (a token from <url>/cli-auth, or --token).")
    p.add_argument("login_url", nargs="?", default="", metavar="url")
    tree.command("logout", logout, "Unauthenticate your local session.").add_argument(
        "-y", "--yes", action="store_true", help="Bypass prompts.")
    tree.command("whoami", whoami, "Show the user you are logged in as.")
    tree.command("version", version, "Show the CLI and server versions.")
