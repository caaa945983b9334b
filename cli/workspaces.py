"""`create`, `list`, `show`, `start`, `stop`, `restart`, `update`, `delete`, `logs`: each
build follows its log live (stages and Terraform lines) and ends with the outcome."""
from __future__ import annotations

import json
import re
import sys
from pathlib import Path

from . import output
from .client import quote
from .config import CLIError, session
from .templates import follow_job_logs, get_template, wait_job


def get_workspace(client, spec: str) -> dict:
    """`[owner/]name` -> Workspace JSON."""
    owner, _, name = spec.rpartition("/")
    return client.request("GET", f"/api/v2/users/{quote(owner or 'me')}/workspace/{quote(name)}")


def follow_build(client, build: dict) -> dict:
    """Stream a build's log, then its outcome; a failed build is a failed command."""
    follow_job_logs(client, f"/api/v2/workspacebuilds/{build['id']}/logs")
    build = wait_job(client, f"/api/v2/workspacebuilds/{build['id']}")
    job = build["job"]
    if job["status"] != "succeeded":
        raise CLIError(f"{build['transition']} build {job['status']}: {job.get('error') or 'see the log above'}")
    return build


def _parameter_values(args, client, version_id: str, existing: dict | None = None) -> list[dict]:
    """--parameter k=v and --rich-parameter-file, then prompts (on a terminal) for the rest."""
    given = {}
    for path in getattr(args, "rich_parameter_file", []) or []:
        for line in Path(path).read_text().splitlines():
            key, sep, value = line.partition(":")
            if sep and key.strip() and not key.strip().startswith("#"):
                given[key.strip()] = value.strip().strip('"')
    for spec in getattr(args, "parameter", []) or []:
        key, sep, value = spec.partition("=")
        if not sep:
            raise CLIError(f"--parameter {spec!r}: expected name=value")
        given[key] = value
    params = client.request("GET", f"/api/v2/templateversions/{version_id}/rich-parameters")
    known = {p["name"] for p in params}
    unknown = sorted(set(given) - known)
    if unknown:
        raise CLIError(f"parameter {unknown[0]!r} is not defined by the template")
    values = []
    interactive = sys.stdin.isatty() and not getattr(args, "yes", False)
    for p in params:
        if p["name"] in given:
            values.append({"name": p["name"], "value": given[p["name"]]})
        elif existing is not None and p["name"] in existing:
            continue  # keep the value of the last build
        elif interactive or (p.get("required") and not p.get("default_value")):
            values.append({"name": p["name"], "value": _prompt(p)})
    return values


def _invalid(p: dict, answer: str) -> str:
    """Why `answer` does not fit the parameter ('' when it does), as the portal would say."""
    if p.get("type") == "number":
        try:
            number = float(answer)
        except ValueError:
            return "Enter a number."
        low, high = p.get("validation_min"), p.get("validation_max")
        if (low is not None and number < low) or (high is not None and number > high):
            return f"Must be between {low} and {high}."
    if p.get("type") == "bool" and answer not in ("true", "false"):
        return "Enter true or false."
    if p.get("validation_regex") and not re.fullmatch(p["validation_regex"], answer):
        return p.get("validation_error") or f"Must match {p['validation_regex']}."
    return ""


def _prompt(p: dict) -> str:
    if not sys.stdin.isatty():
        raise CLIError(f"parameter {p['name']!r} is required; pass --parameter {p['name']}=VALUE")
    title = p.get("display_name") or p["name"]
    print(f"\n{title}" + (f" ({p['description']})" if p.get("description") else ""))
    options = p.get("options") or []
    for i, option in enumerate(options, 1):
        print(f"  {i}. {option['name']}" + (f" — {option['description']}" if option.get("description") else ""))
    default = f" (default: {p['default_value']!r})" if p.get("default_value") else ""
    while True:
        answer = input(f"> Enter a value{default}: ").strip()
        if not answer and p.get("default_value"):
            return p["default_value"]
        if options:
            if answer.isdigit() and 1 <= int(answer) <= len(options):
                return options[int(answer) - 1]["value"]
            match = [o["value"] for o in options if answer in (o["name"], o["value"])]
            if match:
                return match[0]
            print("Pick one of the options above.")
            continue
        problem = _invalid(p, answer) if answer else "A value is required."
        if not problem:
            return answer
        print(problem)


def create(args) -> int:
    client = session(args)
    name = args.name or (input("> Workspace name: ").strip() if sys.stdin.isatty() else "")
    if not name:
        raise CLIError("a workspace name is required")
    if not args.template:
        raise CLIError("a template is required: pass -t TEMPLATE")
    template = get_template(client, args, args.template)
    version_id = template["active_version_id"]
    values = _parameter_values(args, client, version_id)
    output.confirm(args, f"Create workspace {name!r} from template {template['name']!r}?")
    body = {"template_id": template["id"], "name": name, "rich_parameter_values": values}
    if args.automatic_updates:
        body["automatic_updates"] = args.automatic_updates
    workspace = client.request("POST", f"/api/v2/users/{quote(args.owner or 'me')}/workspaces", body)
    follow_build(client, workspace["latest_build"])
    print(f"The {name} workspace has been created!")
    return 0


def _table():
    def agents(w):
        return [a for r in (w.get("latest_build") or {}).get("resources") or [] for a in r.get("agents") or []]

    return {
        "workspace": lambda w: f"{w['owner_name']}/{w['name']}", "template": lambda w: w.get("template_name"),
        "status": lambda w: w["latest_build"]["status"].capitalize(),
        "healthy": lambda w: (w.get("health") or {}).get("healthy"),
        "last built": lambda w: w["latest_build"].get("created_at"),
        "outdated": lambda w: w.get("outdated"),
        "starts at": lambda w: w.get("autostart_schedule"),
        "stops after": lambda w: (f"{w['ttl_ms'] // 3600000}h" if w.get("ttl_ms") else ""),
        "agents": lambda w: ",".join(a["name"] for a in agents(w)),
        "id": lambda w: w["id"], "name": lambda w: w["name"], "owner": lambda w: w["owner_name"],
    }


def list_workspaces(args) -> int:
    client = session(args)
    query = args.search if not args.all else ""
    path = "/api/v2/workspaces" + (f"?q={quote(query)}" if query else "")
    workspaces = client.request("GET", path)["workspaces"]
    output.render(args, workspaces, _table())
    return 0


def show(args) -> int:
    client = session(args)
    w = get_workspace(client, args.workspace)
    if args.output == "json":
        print(json.dumps(w, indent=2))
        return 0
    build = w["latest_build"]
    print(f"{w['owner_name']}/{w['name']}  template {w.get('template_name')}  {build['status']}"
          f"{'  (outdated)' if w.get('outdated') else ''}")
    for resource in build.get("resources") or []:
        print(f"  {resource['type']}.{resource['name']}")
        for a in resource.get("agents") or []:
            print(f"    agent {a['name']}: {a.get('status')} {a.get('lifecycle_state', '')}")
    return 0


def _build(client, workspace: dict, transition: str, **extra) -> dict:
    body = {"transition": transition, **extra}
    build = client.request("POST", f"/api/v2/workspaces/{workspace['id']}/builds", body)
    return follow_build(client, build)


def start(args) -> int:
    client = session(args)
    w = get_workspace(client, args.workspace)
    extra = {}
    if getattr(args, "parameter", None) or getattr(args, "rich_parameter_file", None):
        version_id = w["latest_build"]["template_version_id"]
        extra["rich_parameter_values"] = _parameter_values(args, client, version_id, existing={})
    _build(client, w, "start", **extra)
    print(f"The {w['name']} workspace has been started.")
    return 0


def stop(args) -> int:
    client = session(args)
    w = get_workspace(client, args.workspace)
    output.confirm(args, f"Stop workspace {w['name']!r}?")
    _build(client, w, "stop")
    print(f"The {w['name']} workspace has been stopped.")
    return 0


def restart(args) -> int:
    client = session(args)
    w = get_workspace(client, args.workspace)
    output.confirm(args, f"Restart workspace {w['name']!r}?")
    _build(client, w, "stop")
    _build(client, w, "start")
    print(f"The {w['name']} workspace has been restarted.")
    return 0


def update(args) -> int:
    client = session(args)
    w = get_workspace(client, args.workspace)
    template = client.request("GET", f"/api/v2/templates/{w['template_id']}")
    if not w.get("outdated") and not args.parameter:
        print(f"Workspace {w['name']} is up to date.")
        return 0
    values = _parameter_values(args, client, template["active_version_id"], existing={
        p["name"]: p["value"] for p in client.request(
            "GET", f"/api/v2/workspacebuilds/{w['latest_build']['id']}/parameters")})
    _build(client, w, "start", template_version_id=template["active_version_id"], rich_parameter_values=values)
    print(f"The {w['name']} workspace has been updated.")
    return 0


def delete(args) -> int:
    client = session(args)
    w = get_workspace(client, args.workspace)
    output.confirm(args, f"Delete workspace {w['name']!r}?")
    _build(client, w, "delete", orphan=bool(args.orphan))
    print(f"The {w['name']} workspace has been deleted.")
    return 0


def logs(args) -> int:
    client = session(args)
    w = get_workspace(client, args.workspace)
    build = w["latest_build"]
    if args.build_number:
        build = client.request("GET", f"/api/v2/users/{quote(w['owner_name'])}/workspace/{quote(w['name'])}"
                                      f"/builds/{args.build_number}")
    path = f"/api/v2/workspacebuilds/{build['id']}/logs"
    if args.follow:
        follow_job_logs(client, path)
        return 0
    stage = None
    for log in client.request("GET", path):
        if log.get("stage") != stage:
            stage = log.get("stage")
            print(f"==> {stage}")
        print(f"    {log.get('output', '')}")
    return 0


def register(tree) -> None:
    p = tree.command("create", create, "Create a workspace.")
    p.add_argument("name", nargs="?", default="", help="[owner/]name")
    p.add_argument("-t", "--template", default="")
    p.add_argument("--parameter", action="append", default=[], help="name=value (repeatable).")
    p.add_argument("--rich-parameter-file", action="append", default=[], help="YAML-style `name: value` lines.")
    p.add_argument("--automatic-updates", choices=["always", "never"], default="")
    p.add_argument("-O", "--org", default="")
    p.add_argument("-y", "--yes", action="store_true", help="Bypass prompts (defaults fill optional parameters).")
    p.set_defaults(owner="")
    p = tree.command("list", list_workspaces, "List workspaces.", aliases=["ls"])
    p.add_argument("-a", "--all", action="store_true", help="Everyone's workspaces you can read.")
    p.add_argument("--search", default="owner:me", help="Search query (default: owner:me).")
    output.add_flags(p, list(_table()), ["workspace", "template", "status", "healthy", "last built", "outdated",
                                         "starts at", "stops after"])
    p = tree.command("show", show, "Show a workspace's resources and agents.")
    p.add_argument("workspace")
    p.add_argument("-o", "--output", choices=["text", "json"], default="text")
    for name, func, help in (("start", start, "Start a workspace."), ("stop", stop, "Stop a workspace."),
                             ("restart", restart, "Restart a workspace."),
                             ("update", update, "Update a workspace to the template's active version."),
                             ("delete", delete, "Delete a workspace.")):
        p = tree.command(name, func, help, aliases=["rm"] if name == "delete" else [])
        p.add_argument("workspace")
        p.add_argument("-y", "--yes", action="store_true", help="Bypass prompts.")
        if name in ("start", "update", "restart"):
            p.add_argument("--parameter", action="append", default=[], help="name=value (repeatable).")
            p.add_argument("--rich-parameter-file", action="append", default=[])
        if name == "delete":
            p.add_argument("--orphan", action="store_true", help="Delete without destroying resources.")
    p = tree.command("logs", logs, "Show a workspace build's log.")
    p.add_argument("workspace")
    p.add_argument("-f", "--follow", action="store_true", help="Follow the log until the build ends.")
    p.add_argument("-n", "--build-number", type=int, default=0)
