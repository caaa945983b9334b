"""Shared steps for quota tests: echo templates with a daily cost, groups with allowances."""
from __future__ import annotations

from accounts.services import groups as group_services
from accounts.services.audit import Actor
from tests.templates_app.archive_helpers import echo_template
from tests.workspaces.helpers import create_template, import_version


def costly_echo(cost: int, stop_cost: int = 0) -> bytes:
    """An echo template whose start plan costs `cost` a day (and whose stop keeps `stop_cost`)."""

    def resources(daily_cost):
        return [{"type": "null_resource", "name": "dev", "address": "null_resource.dev", "daily_cost": daily_cost}]

    return echo_template({"parse": {"resources": resources(cost)},
                          "start": {"resources": resources(cost)},
                          "stop": {"resources": resources(stop_cost) if stop_cost else []}})


def echo_cost_template(owner, org, cost: int, stop_cost: int = 0, name: str | None = None):
    actor = Actor.for_user(owner)
    version = import_version(actor, org, costly_echo(cost, stop_cost), provisioner="echo")
    return create_template(actor, org, version, name=name or f"cost-{cost}-{stop_cost}")


def set_everyone_allowance(org, allowance: int) -> None:
    org.groups.filter(pk=org.pk).update(quota_allowance=allowance)


def group_with(owner, org, name: str, allowance: int, members=()):
    actor = Actor.for_user(owner)
    group = group_services.create_group(org, actor=actor, name=name, quota_allowance=allowance)
    if members:
        group_services.set_group_members(group, list(members), actor=actor)
    return group
