#!/usr/bin/env python
"""Workspace list latency and query count: `GET /api/v2/workspaces?limit=25` over 10,000
workspaces (100 users, 5 organizations, one template per organization).

Rows are written with bulk_create (workspaces, their latest start build and its job, a
resource with an agent, an app and a script each) — no provisioner runs. The API is called
in-process through Django's test client with an API token (no HTTP server): the figures are
the request path (auth, RBAC subject, RBAC-filtered query, serialization) plus the database.

    CODER_PG_CONNECTION_URL=postgresql://postgres@127.0.0.1:5432/coderportal_bench \\
        .venv/bin/python bench/workspace_list.py --workspaces 10000 --requests 60

With a PostgreSQL URL the database is created if missing and emptied first (`--keep` skips
the re-seed). Prints p50/p95 latency and SQL query count for the deployment owner and for a
member (who sees their own 100 workspaces), at 100 workspaces and at the full size.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def ensure_database() -> None:
    url = os.environ.get("CODER_PG_CONNECTION_URL")
    if not url:
        return
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    with psycopg.connect(urlunsplit(parts._replace(path="/postgres")), autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def setup_django(data_dir: str) -> None:
    os.environ.setdefault("CODER_DATA_DIR", data_dir)
    os.environ["CODER_API_RATE_LIMIT"] = "0"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "coderportal.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def wipe() -> None:
    from django.db import connection

    if connection.vendor != "postgresql":
        return
    from accounts.models import Role
    from accounts.rbac.builtin_roles import sync_builtin_roles

    tables = [t for t in connection.introspection.table_names()
              if t.startswith(("workspaces_", "templates_app_", "accounts_"))]
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " CASCADE")
    sync_builtin_roles(Role)  # the built-in roles are rows too


class World:
    """Organizations, users, templates; workspaces are added in batches by `grow`."""

    def __init__(self, orgs: int, users: int):
        from accounts.models import OrganizationMember, Role, User
        from accounts.services import organizations
        from accounts.services import users as user_services
        from templates_app.models import File, JobStatus, JobType, ProvisionerJob, Template, TemplateVersion

        self.owner, _ = user_services.create_first_user(username="admin", email="admin@example.com",
                                                        password="bench-password-42")
        self.orgs = [organizations.default_organization()]
        for i in range(1, orgs):
            self.orgs.append(organizations._create(f"org-{i}"))
        member_role = Role.objects.filter(name="member", organization=None).first()
        self.users = User.objects.bulk_create([
            User(username=f"user{i}", email=f"user{i}@example.com", status="active", password="!")
            for i in range(users)])
        if member_role is not None:
            User.site_roles.through.objects.bulk_create(
                [User.site_roles.through(user_id=u.id, role_id=member_role.id) for u in self.users])
        OrganizationMember.objects.bulk_create([
            OrganizationMember(user=u, organization=self.orgs[i % orgs]) for i, u in enumerate(self.users)])
        self.templates = {}
        for org in self.orgs:
            file = File.objects.create(hash=uuid.uuid4().hex, mimetype="application/x-tar", size=1, data=b"x",
                                       created_by=self.owner)
            job = ProvisionerJob.objects.create(organization=org, initiator=self.owner, file=file,
                                                type=JobType.TEMPLATE_VERSION_IMPORT, status=JobStatus.SUCCEEDED)
            version = TemplateVersion.objects.create(organization=org, name="v1", file=file, job=job,
                                                     created_by=self.owner)
            template = Template.objects.create(organization=org, name="dev", active_version=version,
                                               created_by=self.owner)
            TemplateVersion.objects.filter(pk=version.pk).update(template=template)
            version.template = template
            self.templates[org.id] = (template, version, file)
        self.count = 0

    def grow(self, total: int) -> None:
        """Add workspaces (round-robin over users) until there are `total`."""
        from django.db import transaction
        from django.utils import timezone

        from templates_app.models import JobStatus, JobType, ProvisionerJob
        from workspaces.models import (
            Workspace,
            WorkspaceAgent,
            WorkspaceAgentScript,
            WorkspaceApp,
            WorkspaceBuild,
            WorkspaceResource,
        )

        now = timezone.now()
        batch = 2000
        while self.count < total:
            n = min(batch, total - self.count)
            with transaction.atomic():
                rows, jobs, builds, resources, agents, apps, scripts = [], [], [], [], [], [], []
                for k in range(self.count, self.count + n):
                    user = self.users[k % len(self.users)]
                    org = self.orgs[(k % len(self.users)) % len(self.orgs)]
                    template, version, file = self.templates[org.id]
                    ws = Workspace(id=uuid.uuid4(), owner=user, organization=org, template=template, name=f"ws{k}")
                    job = ProvisionerJob(id=uuid.uuid4(), organization=org, initiator=user, file=file,
                                         type=JobType.WORKSPACE_BUILD, status=JobStatus.SUCCEEDED,
                                         started_at=now, completed_at=now)
                    build = WorkspaceBuild(id=uuid.uuid4(), workspace=ws, template_version=version, build_number=1,
                                           transition="start", initiator=user, job=job, active=False)
                    job.input = {"workspace_build_id": str(build.id)}
                    resource = WorkspaceResource(id=uuid.uuid4(), build=build, job=job, transition="start",
                                                 type="docker_container", name="dev")
                    agent = WorkspaceAgent(id=uuid.uuid4(), resource=resource, name="main", auth_token_hash="0" * 64)
                    rows.append(ws)
                    jobs.append(job)
                    builds.append(build)
                    resources.append(resource)
                    agents.append(agent)
                    apps.append(WorkspaceApp(agent=agent, slug="code", url="http://localhost:8080"))
                    scripts.append(WorkspaceAgentScript(agent=agent, display_name="Startup", script="true"))
                Workspace.objects.bulk_create(rows)
                ProvisionerJob.objects.bulk_create(jobs)
                WorkspaceBuild.objects.bulk_create(builds)
                WorkspaceResource.objects.bulk_create(resources)
                WorkspaceAgent.objects.bulk_create(agents)
                WorkspaceApp.objects.bulk_create(apps)
                WorkspaceAgentScript.objects.bulk_create(scripts)
                for ws, build in zip(rows, builds):
                    ws.latest_build = build
                Workspace.objects.bulk_update(rows, ["latest_build"])
            self.count += n


def measure(client, token: str, requests: int) -> dict:
    from django.db import connection

    url = "/api/v2/workspaces?limit=25"
    headers = {"HTTP_CODER_SESSION_TOKEN": token}
    first = client.get(url, **headers)
    assert first.status_code == 200, first.content[:300]
    executed = []

    def count(execute, sql, params, many, context):
        executed.append(sql)
        return execute(sql, params, many, context)

    # An execute wrapper sees every statement (Django's query log is reset per request).
    with connection.execute_wrapper(count):
        response = client.get(url, **headers)
    timings = []
    for _ in range(requests):
        started = time.perf_counter()
        client.get(url, **headers)
        timings.append((time.perf_counter() - started) * 1000)
    timings.sort()
    return {"count": response.json()["count"], "page": len(response.json()["workspaces"]),
            "queries": len(executed), "p50": statistics.median(timings),
            "p95": timings[max(0, int(len(timings) * 0.95) - 1)]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workspaces", type=int, default=10_000)
    parser.add_argument("--users", type=int, default=100)
    parser.add_argument("--orgs", type=int, default=5)
    parser.add_argument("--requests", type=int, default=60)
    args = parser.parse_args()

    import tempfile

    ensure_database()
    setup_django(tempfile.mkdtemp(prefix="coderportal-bench-"))
    from django.db import connection
    from django.test import Client

    from accounts.services import tokens

    wipe()
    started = time.perf_counter()
    world = World(args.orgs, args.users)
    member = world.users[0]
    client = Client()
    owner_token = tokens.issue(world.owner, login_type="password")[1]
    member_token = tokens.issue(member, login_type="password")[1]
    print(f"database: {connection.vendor}; users {args.users}, organizations {args.orgs}")
    results = []
    for size in (min(100, args.workspaces), args.workspaces):
        seeded = time.perf_counter()
        world.grow(size)
        print(f"seeded {size} workspaces ({time.perf_counter() - seeded:.1f}s)")
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        for who, token in (("owner", owner_token), ("member", member_token)):
            figures = measure(client, token, args.requests)
            results.append((size, who, figures))
    print()
    print("| workspaces | as | visible | page | SQL queries | p50 ms | p95 ms |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for size, who, f in results:
        print(f"| {size} | {who} | {f['count']} | {f['page']} | {f['queries']} | {f['p50']:.1f} | {f['p95']:.1f} |")
    print(f"\ntotal {time.perf_counter() - started:.1f}s")


if __name__ == "__main__":
    main()
