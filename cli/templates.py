"""`templates init|push|pull|list|edit|delete`, `templates versions list|promote|archive`."""
from __future__ import annotations

import io
import os
import sys
import tarfile
import time
from pathlib import Path

from . import output
from .client import APIError, quote
from .config import CLIError, session

MAX_ARCHIVE = 100 << 20
FINAL = ("succeeded", "failed", "canceled")


def organization(client, args) -> dict:
    """`--org`, else the user's first organization (Coder's default)."""
    orgs = client.request("GET", "/api/v2/users/me/organizations")
    wanted = getattr(args, "org", "") or os.environ.get("CODER_ORGANIZATION", "")
    for org in orgs:
        if not wanted or wanted in (org["name"], org["id"]):
            return org
    raise CLIError(f"organization {wanted!r} not found" if wanted else "you are not a member of any organization")


def find_template(client, org: dict, name: str) -> dict | None:
    try:
        return client.request("GET", f"/api/v2/organizations/{org['id']}/templates/{quote(name)}")
    except APIError as exc:
        if exc.status == 404:
            return None
        raise


def get_template(client, args, name: str) -> dict:
    template = find_template(client, organization(client, args), name)
    if template is None:
        raise CLIError(f"template {name!r} not found")
    return template


def follow_job_logs(client, path: str) -> None:
    """Print a provisioner job's stages and log lines as they come, until it ends."""
    stage = None
    for log in client.events(path):
        if log.get("stage") and log["stage"] != stage:
            stage = log["stage"]
            print(f"==> ⧗ {stage}", flush=True)
        if log.get("output"):
            print(f"    {log['output']}", flush=True)


def wait_job(client, path: str, key: str = "job") -> dict:
    """Poll until the object's job is final (the log stream ends with it; this is the backstop)."""
    while True:
        obj = client.request("GET", path)
        if (obj.get(key) or {}).get("status") in FINAL:
            return obj
        time.sleep(0.5)


def _tar_dir(directory: Path) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for path in sorted(directory.rglob("*")):
            rel = path.relative_to(directory)
            if any(part.startswith(".terraform") or part == ".git" for part in rel.parts) or not path.is_file():
                continue
            tar.add(str(path), arcname=rel.as_posix(), recursive=False)
            if buffer.tell() > MAX_ARCHIVE:
                raise CLIError(f"{directory} is larger than {MAX_ARCHIVE >> 20} MiB")
    return buffer.getvalue()


def _variables(args) -> list[dict]:
    values = {}
    for path in args.variables_file:
        for line in Path(path).read_text().splitlines():
            line = line.strip()
            if line and not line.startswith("#"):
                key, sep, value = line.partition(":")
                if not sep:
                    raise CLIError(f"{path}: expected `name: value` lines, got {line!r}")
                values[key.strip()] = value.strip().strip('"')
    for spec in args.variable:
        key, sep, value = spec.partition("=")
        if not sep:
            raise CLIError(f"--variable {spec!r}: expected name=value")
        values[key] = value
    return [{"name": k, "value": v} for k, v in values.items()]


def push(args) -> int:
    client = session(args)
    directory = Path(args.directory).resolve()
    if not directory.is_dir():
        raise CLIError(f"{directory} is not a directory")
    name = args.name or directory.name
    org = organization(client, args)
    template = find_template(client, org, name)
    output.confirm(args, f"Upload {directory} as {'a new version of ' if template else 'new template '}{name!r}?")
    file_id = client.request_raw_json("POST", "/api/v2/files", _tar_dir(directory), "application/x-tar")["hash"]
    body = {"file_id": file_id, "storage_method": "file", "provisioner": "terraform",
            "user_variable_values": _variables(args), "message": args.message}
    if args.version_name:
        body["name"] = args.version_name
    if template:
        body["template_id"] = template["id"]
    version = client.request("POST", f"/api/v2/organizations/{org['id']}/templateversions", body)
    follow_job_logs(client, f"/api/v2/templateversions/{version['id']}/logs")
    version = wait_job(client, f"/api/v2/templateversions/{version['id']}")
    job = version["job"]
    if job["status"] != "succeeded":
        raise CLIError(f"template import {job['status']}: {job.get('error') or 'see the log above'}")
    if template is None:
        template = client.request("POST", f"/api/v2/organizations/{org['id']}/templates",
                                  {"name": name, "template_version_id": version["id"]})
        print(f"Template {name!r} has been created at {client.url}/templates/{name}.")
    elif args.activate:
        client.request("PATCH", f"/api/v2/templates/{template['id']}/versions", {"id": version["id"]})
        print(f"Template {name!r} has been updated; version {version['name']!r} is now active.")
    else:
        print(f"Template {name!r} has a new version {version['name']!r} (not active; pass --activate).")
    return 0


def init(args) -> int:
    client = session(args)
    directory = Path(args.directory or args.id).resolve()
    if directory.exists() and any(directory.iterdir()):
        raise CLIError(f"{directory} is not empty")
    archive = client.raw("GET", f"/api/v2/templates/examples/{quote(args.id)}/archive")
    _extract(archive, directory)
    print(f"Extracted {args.id} to {directory}. Push it with: coderportal templates push -d {directory}")
    return 0


def _extract(archive: bytes, directory: Path) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        for member in tar.getmembers():
            target = (directory / member.name).resolve()
            if not member.isfile() or directory not in target.parents:
                continue  # only plain files inside the directory
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(tar.extractfile(member).read())


def pull(args) -> int:
    client = session(args)
    template = get_template(client, args, args.name)
    version_id = template["active_version_id"]
    if args.version:
        version_id = client.request("GET", f"/api/v2/templates/{template['id']}/versions/"
                                           f"{quote(args.version)}")["id"]
    version = client.request("GET", f"/api/v2/templateversions/{version_id}")
    archive = client.raw("GET", f"/api/v2/files/{version['job']['file_id']}")
    if args.tar:
        sys.stdout.buffer.write(archive)
        return 0
    directory = Path(args.directory or args.name).resolve()
    if directory.exists() and any(directory.iterdir()):
        output.confirm(args, f"{directory} is not empty; write into it anyway?")
    _extract(archive, directory)
    print(f"Wrote template {args.name!r} version {version['name']!r} to {directory}.")
    return 0


def list_templates(args) -> int:
    client = session(args)
    templates = client.request("GET", "/api/v2/templates")
    output.render(args, templates, {
        "name": lambda t: t["name"], "organization name": lambda t: t.get("organization_name"),
        "last updated": lambda t: t.get("updated_at"), "used by": lambda t: t.get("active_user_count"),
        "display name": lambda t: t.get("display_name"), "id": lambda t: t["id"],
        "active version id": lambda t: t.get("active_version_id")})
    return 0


def versions_list(args) -> int:
    client = session(args)
    template = get_template(client, args, args.template)
    versions = client.request("GET", f"/api/v2/templates/{template['id']}/versions")
    output.render(args, versions, {
        "name": lambda v: v["name"], "created at": lambda v: v.get("created_at"),
        "created by": lambda v: (v.get("created_by") or {}).get("username"),
        "status": lambda v: (v.get("job") or {}).get("status"),
        "active": lambda v: "Active" if v["id"] == template["active_version_id"] else "",
        "id": lambda v: v["id"], "message": lambda v: v.get("message")})
    return 0


def versions_promote(args) -> int:
    client = session(args)
    template = get_template(client, args, args.template_name)
    version = client.request("GET", f"/api/v2/templates/{template['id']}/versions/{quote(args.template_version)}")
    client.request("PATCH", f"/api/v2/templates/{template['id']}/versions", {"id": version["id"]})
    print(f"Version {version['name']!r} of template {template['name']!r} is now active.")
    return 0


def edit(args) -> int:
    from .schedule import duration

    client = session(args)
    template = get_template(client, args, args.template)
    body = {k: v for k, v in (("name", args.name), ("display_name", args.display_name),
                              ("description", args.description), ("icon", args.icon),
                              ("deprecation_message", args.deprecated)) if v is not None}
    if args.default_ttl is not None:
        body["default_ttl_ms"] = duration(args.default_ttl)
    if args.require_active_version is not None:
        body["require_active_version"] = args.require_active_version
    try:
        client.request("PATCH", f"/api/v2/templates/{template['id']}", body)
    except APIError as exc:
        if exc.status != 304:
            raise
        print(f"Template {template['name']!r}: nothing to change.")
        return 0
    print(f"Updated template {args.name or template['name']!r}.")
    return 0


def versions_archive(args) -> int:
    client = session(args)
    template = get_template(client, args, args.template)
    for name in args.versions:
        version = client.request("GET", f"/api/v2/templates/{template['id']}/versions/{quote(name)}")
        client.request("POST", f"/api/v2/templateversions/{version['id']}/archive", {})
        print(f"Archived version {name!r} of template {template['name']!r}.")
    return 0


def delete(args) -> int:
    client = session(args)
    templates = [get_template(client, args, name) for name in args.names]
    output.confirm(args, f"Delete template(s) {', '.join(args.names)}?")
    for template in templates:
        client.request("DELETE", f"/api/v2/templates/{template['id']}")
        print(f"Deleted template {template['name']!r}.")
    return 0


def register(tree) -> None:
    group = tree.group("templates", "Manage templates.", aliases=["template"])
    p = group.command("init", init, "Get started with a starter template (written to DIR).")
    p.add_argument("directory", nargs="?", default="")
    p.add_argument("--id", required=True, help="Starter template id (see GET /api/v2/templates/examples).")
    p = group.command("push", push, "Create or update a template from a directory.")
    p.add_argument("name", nargs="?", default="", help="Template name (default: the directory's name).")
    p.add_argument("-d", "--directory", default=".", help="Directory to upload.")
    p.add_argument("--variable", action="append", default=[], help="name=value (repeatable).")
    p.add_argument("--variables-file", action="append", default=[], help="YAML-style `name: value` lines.")
    p.add_argument("-m", "--message", default="", help="Message for the new version.")
    p.add_argument("--name", dest="version_name", default="", help="Name of the new version.")
    p.add_argument("--activate", action=_BoolFlag, default=True, help="Make the new version active (default).")
    p.add_argument("-O", "--org", default="", help="Organization (default: your first).")
    p.add_argument("-y", "--yes", action="store_true", help="Bypass prompts.")
    p = group.command("pull", pull, "Download a template version's files.")
    p.add_argument("name")
    p.add_argument("directory", nargs="?", default="")
    p.add_argument("--version", default="", help="Version name (default: the active one).")
    p.add_argument("--tar", action="store_true", help="Write the tar archive to stdout.")
    p.add_argument("-O", "--org", default="")
    p.add_argument("-y", "--yes", action="store_true", help="Bypass prompts.")
    p = group.command("list", list_templates, "List templates.", aliases=["ls"])
    output.add_flags(p, ["name", "organization name", "last updated", "used by", "display name", "id",
                         "active version id"], ["name", "organization name", "last updated", "used by"])
    p = group.command("delete", delete, "Delete templates.", aliases=["rm"])
    p.add_argument("names", nargs="+", metavar="name")
    p.add_argument("-O", "--org", default="")
    p.add_argument("-y", "--yes", action="store_true", help="Bypass prompts.")
    p = group.command("edit", edit, "Edit a template's settings.")
    p.add_argument("template")
    p.add_argument("--name", default=None)
    p.add_argument("--display-name", default=None)
    p.add_argument("--description", default=None)
    p.add_argument("--icon", default=None)
    p.add_argument("--default-ttl", default=None, help="Like 8h.")
    p.add_argument("--require-active-version", action=_BoolFlag, default=None)
    p.add_argument("--deprecated", default=None, help="Deprecation message ('' to undeprecate).")
    p.add_argument("-O", "--org", default="")
    p.add_argument("-y", "--yes", action="store_true", help="Bypass prompts.")
    versions = group.group("versions", "Manage a template's versions.", aliases=["version"])
    p = versions.command("archive", versions_archive, "Archive versions (no new workspace can use them).")
    p.add_argument("template")
    p.add_argument("versions", nargs="+", metavar="version")
    p.add_argument("-O", "--org", default="")
    p = versions.command("list", versions_list, "List a template's versions.", aliases=["ls"])
    p.add_argument("template")
    p.add_argument("-O", "--org", default="")
    output.add_flags(p, ["name", "created at", "created by", "status", "active", "id", "message"],
                     ["name", "created at", "created by", "status", "active"])
    p = versions.command("promote", versions_promote, "Make a version the active one.")
    p.add_argument("-t", "--template", dest="template_name", required=True)
    p.add_argument("--template-version", required=True)
    p.add_argument("-O", "--org", default="")


class _BoolFlag(__import__("argparse").Action):
    """Coder's boolean flags: `--activate`, `--activate=false`."""

    def __init__(self, option_strings, dest, **kwargs):
        kwargs["nargs"] = "?"
        super().__init__(option_strings, dest, **kwargs)

    def __call__(self, parser, namespace, values, option_string=None):
        setattr(namespace, self.dest, values is None or str(values).lower() in ("true", "1", "yes"))
