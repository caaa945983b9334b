"""`tokens`, `users`, `organizations`, `groups`, `provisioner` (lists and the common writes)."""
from __future__ import annotations

import json

from . import output
from .client import quote
from .config import session
from .templates import organization


def tokens_create(args) -> int:
    client = session(args)
    body = {"token_name": args.name, "scope": "all"}
    if args.lifetime:
        from .schedule import duration

        body["lifetime"] = duration(args.lifetime) * 1_000_000
    print(client.request("POST", "/api/v2/users/me/keys/tokens", body)["key"])
    return 0


def tokens_list(args) -> int:
    client = session(args)
    keys = client.request("GET", "/api/v2/users/me/keys/tokens" + ("?include_all=true" if args.all else ""))
    output.render(args, keys, {"id": lambda k: k["id"], "name": lambda k: k.get("token_name"),
                               "last used": lambda k: k.get("last_used"), "expires at": lambda k: k.get("expires_at"),
                               "created at": lambda k: k.get("created_at")})
    return 0


def tokens_remove(args) -> int:
    client = session(args)
    key = client.request("GET", f"/api/v2/users/me/keys/tokens/{quote(args.name)}")
    client.request("DELETE", f"/api/v2/users/me/keys/{key['id']}")
    print(f"Token {args.name} has been deleted.")
    return 0


def users_list(args) -> int:
    client = session(args)
    users = client.request("GET", "/api/v2/users")["users"]
    output.render(args, users, {"username": lambda u: u["username"], "email": lambda u: u.get("email"),
                                "created at": lambda u: u.get("created_at"), "status": lambda u: u.get("status"),
                                "id": lambda u: u["id"]})
    return 0


def users_show(args) -> int:
    client = session(args)
    print(json.dumps(client.request("GET", f"/api/v2/users/{quote(args.user)}"), indent=2))
    return 0


def users_status(args) -> int:
    client = session(args)
    action = "suspend" if args.func is users_status and args.users_command == "suspend" else "activate"
    client.request("PUT", f"/api/v2/users/{quote(args.user)}/status/{action}")
    print(f"User {args.user} is now {'suspended' if action == 'suspend' else 'active'}.")
    return 0


def users_create(args) -> int:
    client = session(args)
    org = organization(client, args)
    body = {"username": args.username, "email": args.email, "name": args.full_name,
            "organization_ids": [org["id"]], "login_type": args.login_type}
    if args.password:
        body["password"] = args.password
    user = client.request("POST", "/api/v2/users", body)
    print(f"User {user['username']} has been created.")
    return 0


def organizations_show(args) -> int:
    client = session(args)
    org = organization(client, args)
    if args.output == "json":
        print(json.dumps(org, indent=2))
    else:
        print(f"Current organization: {org['name']} ({org['id']})")
    return 0


def organizations_members(args) -> int:
    client = session(args)
    org = organization(client, args)
    members = client.request("GET", f"/api/v2/organizations/{org['id']}/members")
    output.render(args, members, {"username": lambda m: m.get("username"), "user id": lambda m: m.get("user_id"),
                                  "roles": lambda m: ",".join(r["name"] for r in m.get("roles") or [])})
    return 0


def groups_list(args) -> int:
    client = session(args)
    org = organization(client, args)
    groups = client.request("GET", f"/api/v2/organizations/{org['id']}/groups")
    output.render(args, groups, {"name": lambda g: g["name"], "organization id": lambda g: g.get("organization_id"),
                                 "members": lambda g: len(g.get("members") or []), "id": lambda g: g["id"]})
    return 0


def groups_create(args) -> int:
    client = session(args)
    org = organization(client, args)
    group = client.request("POST", f"/api/v2/organizations/{org['id']}/groups",
                           {"name": args.name, "display_name": args.display_name})
    print(f"Group {group['name']} has been created.")
    return 0


def provisioner_list(args) -> int:
    client = session(args)
    org = organization(client, args)
    daemons = client.request("GET", f"/api/v2/organizations/{org['id']}/provisionerdaemons")
    output.render(args, daemons, {"name": lambda d: d.get("name"), "status": lambda d: d.get("status"),
                                  "version": lambda d: d.get("version"), "id": lambda d: d["id"],
                                  "tags": lambda d: d.get("tags"), "last seen at": lambda d: d.get("last_seen_at")})
    return 0


def provisioner_jobs(args) -> int:
    client = session(args)
    org = organization(client, args)
    jobs = client.request("GET", f"/api/v2/organizations/{org['id']}/provisionerjobs")
    output.render(args, jobs, {"id": lambda j: j["id"], "type": lambda j: j.get("type"),
                               "status": lambda j: j.get("status"), "created at": lambda j: j.get("created_at")})
    return 0


def register(tree) -> None:
    tokens = tree.group("tokens", "Manage your API tokens.", aliases=["token"])
    p = tokens.command("create", tokens_create, "Create a token (prints it once).")
    p.add_argument("-n", "--name", default="")
    p.add_argument("--lifetime", default="", help="Like 720h (default: the server's).")
    p = tokens.command("list", tokens_list, "List your tokens.", aliases=["ls"])
    p.add_argument("-a", "--all", action="store_true")
    output.add_flags(p, ["id", "name", "last used", "expires at", "created at"])
    p = tokens.command("remove", tokens_remove, "Delete a token by name.", aliases=["rm", "delete"])
    p.add_argument("name")

    users = tree.group("users", "Manage users.", aliases=["user"])
    p = users.command("list", users_list, "List users.", aliases=["ls"])
    output.add_flags(p, ["username", "email", "created at", "status", "id"], ["username", "email", "created at",
                                                                              "status"])
    users.command("show", users_show, "Show a user (JSON).").add_argument("user")
    for name in ("suspend", "activate"):
        users.command(name, users_status, f"{name.capitalize()} a user.").add_argument("user")
    p = users.command("create", users_create, "Create a user.")
    p.add_argument("-u", "--username", required=True)
    p.add_argument("-e", "--email", required=True)
    p.add_argument("-n", "--full-name", default="")
    p.add_argument("-p", "--password", default="")
    p.add_argument("--login-type", default="password", choices=["password", "none", "github", "oidc"])
    p.add_argument("-O", "--org", default="")

    orgs = tree.group("organizations", "Your organizations.", aliases=["organization", "org", "orgs"])
    p = orgs.command("show", organizations_show, "Show the current organization.")
    p.add_argument("-O", "--org", default="")
    p.add_argument("-o", "--output", choices=["text", "json"], default="text")
    p = orgs.command("members", organizations_members, "List the organization's members.")
    p.add_argument("-O", "--org", default="")
    output.add_flags(p, ["username", "user id", "roles"])

    groups = tree.group("groups", "Manage groups.", aliases=["group"])
    p = groups.command("list", groups_list, "List groups.", aliases=["ls"])
    p.add_argument("-O", "--org", default="")
    output.add_flags(p, ["name", "organization id", "members", "id"], ["name", "members"])
    p = groups.command("create", groups_create, "Create a group.")
    p.add_argument("name")
    p.add_argument("-u", "--display-name", default="")
    p.add_argument("-O", "--org", default="")

    prov = tree.group("provisioner", "Provisioner daemons and jobs.", aliases=["provisioners"])
    p = prov.command("list", provisioner_list, "List provisioner daemons.", aliases=["ls"])
    p.add_argument("-O", "--org", default="")
    output.add_flags(p, ["name", "status", "version", "id", "tags", "last seen at"], ["name", "status", "version"])
    jobs = prov.group("jobs", "Provisioner jobs.")
    p = jobs.command("list", provisioner_jobs, "List provisioner jobs.", aliases=["ls"])
    p.add_argument("-O", "--org", default="")
    output.add_flags(p, ["id", "type", "status", "created at"])
