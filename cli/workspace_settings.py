"""`rename`, `favorite`/`unfavorite`, `autoupdate`, `state pull|push`: a workspace's settings
and its Terraform state (reading or writing state is for template admins, as the API says)."""
from __future__ import annotations

import sys
from pathlib import Path

from . import output
from .client import quote
from .config import session
from .workspaces import get_workspace


def rename(args) -> int:
    client = session(args)
    w = get_workspace(client, args.workspace)
    output.confirm(args, f"Rename workspace {w['name']!r} to {args.new_name!r}? Its host name changes too.")
    client.request("PATCH", f"/api/v2/workspaces/{w['id']}", {"name": args.new_name})
    print(f"Workspace {w['name']} is now {args.new_name}.")
    return 0


def favorite(args) -> int:
    client = session(args)
    w = get_workspace(client, args.workspace)
    client.request("PUT" if args.favorite else "DELETE", f"/api/v2/workspaces/{w['id']}/favorite")
    print(f"Workspace {w['name']} {'is now' if args.favorite else 'is no longer'} a favorite.")
    return 0


def autoupdate(args) -> int:
    client = session(args)
    w = get_workspace(client, args.workspace)
    client.request("PUT", f"/api/v2/workspaces/{w['id']}/autoupdates", {"automatic_updates": args.policy})
    print(f"Automatic updates for {w['name']}: {args.policy}.")
    return 0


def _build_id(client, args) -> str:
    w = get_workspace(client, args.workspace)
    if not args.build:
        return w["latest_build"]["id"]
    return client.request("GET", f"/api/v2/users/{quote(w['owner_name'])}/workspace/{quote(w['name'])}"
                                 f"/builds/{args.build}")["id"]


def state_pull(args) -> int:
    client = session(args)
    state = client.raw("GET", f"/api/v2/workspacebuilds/{_build_id(client, args)}/state")
    if args.file:
        Path(args.file).write_bytes(state)
    else:
        sys.stdout.buffer.write(state)
    return 0


def state_push(args) -> int:
    client = session(args)
    data = sys.stdin.buffer.read() if args.file == "-" else Path(args.file).read_bytes()
    client.raw("PUT", f"/api/v2/workspacebuilds/{_build_id(client, args)}/state", data, "application/json")
    print(f"Wrote the Terraform state of {args.workspace}.")
    return 0


def register(tree) -> None:
    p = tree.command("rename", rename, "Rename a workspace.")
    p.add_argument("workspace")
    p.add_argument("new_name")
    p.add_argument("-y", "--yes", action="store_true", help="Bypass prompts.")
    for name, value in (("favorite", True), ("unfavorite", False)):
        p = tree.command(name, favorite, f"{'Add' if value else 'Remove'} a workspace as a favorite.",
                         aliases=["fav"] if value else ["unfav"])
        p.add_argument("workspace")
        p.set_defaults(favorite=value)
    p = tree.command("autoupdate", autoupdate, "Update the workspace on start: always or never.")
    p.add_argument("workspace")
    p.add_argument("policy", choices=["always", "never"])
    state = tree.group("state", "Read or write a build's Terraform state.")
    p = state.command("pull", state_pull, "Write a build's state to FILE (default: stdout).")
    p.add_argument("workspace")
    p.add_argument("file", nargs="?", default="")
    p.add_argument("-b", "--build", type=int, default=0, help="Build number (default: the latest).")
    p = state.command("push", state_push, "Replace a build's state with FILE (`-` for stdin).")
    p.add_argument("workspace")
    p.add_argument("file")
    p.add_argument("-b", "--build", type=int, default=0, help="Build number (default: the latest).")
