"""Interpreting coder_* resources and data sources (as Nodes) the way Coder does.

Owns: which resources a build reports (managed ones that are not coder_* bookkeeping),
attaching each agent to the closest resource that depends on it (agents attached to
nothing are dropped, as in Coder), attaching apps/scripts/env to agents (by id, or by
dependency when ids are still unknown in a plan), coder_metadata to its resource, and
reading rich parameters, workspace tags, presets and external-auth requirements.
"""

from __future__ import annotations

from typing import Any, Optional

from .state import Node, distance
from .types import (
    Agent,
    AgentMetadata,
    App,
    DisplayApps,
    ExternalAuthRequirement,
    Healthcheck,
    MetadataItem,
    ParameterOption,
    Preset,
    Resource,
    Script,
    TemplateParameter,
)


def _s(value: Any) -> str:
    return "" if value is None else str(value)


def _i(value: Any, default: Optional[int] = 0) -> Optional[int]:
    return default if value is None else int(value)


def _b(value: Any, default: bool = False) -> bool:
    return default if value is None else bool(value)


def _first(values: Any) -> dict:
    return values[0] if isinstance(values, list) and values else {}


def _owner(node: Node, candidates: list[Node]) -> Optional[Node]:
    """The candidate an agent-scoped node (app, script...) belongs to."""
    wanted = node.values.get("agent_id")
    if wanted:
        for candidate in candidates:
            if candidate.values.get("id") == wanted:
                return candidate
    linked = [c for c in candidates if c.config_address in node.deps]
    return linked[0] if len(linked) == 1 else None


def _agent(node: Node) -> Agent:
    v = node.values
    display = _first(v.get("display_apps"))
    agent = Agent(
        name=node.name, id=v.get("id"), token=v.get("token"), auth=_s(v.get("auth")) or "token",
        os=_s(v.get("os")), arch=_s(v.get("arch")), dir=_s(v.get("dir")),
        env={k: _s(val) for k, val in (v.get("env") or {}).items()},
        connection_timeout=_i(v.get("connection_timeout"), 120),
        troubleshooting_url=_s(v.get("troubleshooting_url")), motd_file=_s(v.get("motd_file")),
        order=_i(v.get("order"), None),
        startup_script_behavior=_s(v.get("startup_script_behavior")) or "non-blocking",
        api_key_scope=_s(v.get("api_key_scope")) or "all",
        metadata=[AgentMetadata(key=_s(m.get("key")), script=_s(m.get("script")),
                                interval=_i(m.get("interval")),
                                display_name=_s(m.get("display_name")),
                                timeout=_i(m.get("timeout")), order=_i(m.get("order"), None))
                  for m in v.get("metadata") or []],
        # Coder's defaults for an absent block or absent fields (see coder_provider docs).
        display_apps=DisplayApps(**{k: _b(display.get(k), d) for k, d in
                                    DisplayApps().to_dict().items()}))
    # Coder turns the agent's own scripts into coder_script-like entries.
    if v.get("startup_script"):
        agent.scripts.append(Script(
            display_name="Startup Script", script=v["startup_script"],
            icon="/emojis/25b6-fe0f.png", run_on_start=True, log_path="coder-startup-script.log",
            start_blocks_login=agent.startup_script_behavior == "blocking"))
    if v.get("shutdown_script"):
        agent.scripts.append(Script(
            display_name="Shutdown Script", script=v["shutdown_script"],
            icon="/emojis/25c0.png", run_on_stop=True, log_path="coder-shutdown-script.log"))
    return agent


def _app(node: Node) -> App:
    v = node.values
    check = _first(v.get("healthcheck"))
    return App(
        slug=_s(v.get("slug")), id=v.get("id"),
        display_name=_s(v.get("display_name") or v.get("name")), url=_s(v.get("url")),
        command=_s(v.get("command")), icon=_s(v.get("icon")), subdomain=_b(v.get("subdomain")),
        share=_s(v.get("share")) or "owner", external=_b(v.get("external")),
        hidden=_b(v.get("hidden")), open_in=_s(v.get("open_in")) or "slim-window",
        order=_i(v.get("order"), None), group=_s(v.get("group")), tooltip=_s(v.get("tooltip")),
        healthcheck=Healthcheck(url=_s(check.get("url")), interval=_i(check.get("interval")),
                                threshold=_i(check.get("threshold"))) if check else None)


def _script(node: Node) -> Script:
    v = node.values
    return Script(
        display_name=_s(v.get("display_name")), script=_s(v.get("script")),
        icon=_s(v.get("icon")), cron=_s(v.get("cron")), run_on_start=_b(v.get("run_on_start")),
        run_on_stop=_b(v.get("run_on_stop")),
        start_blocks_login=_b(v.get("start_blocks_login")), timeout=_i(v.get("timeout")),
        log_path=_s(v.get("log_path")))


def _closest_dependent(target: Node, resources: list[Node],
                       edges: dict[str, set[str]]) -> Optional[Node]:
    """The resource depending on `target` through the fewest hops (Coder's rule)."""
    dependents = [r for r in resources if target.config_address in r.deps]
    if not dependents:
        return None

    def hops(resource: Node) -> int:
        found = distance(edges, resource.config_address, target.config_address)
        return found if found is not None else len(resource.deps)

    return min(dependents, key=lambda r: (hops(r), r.address))


def _described(metadata: Node, resources: list[Node],
               edges: dict[str, set[str]]) -> Optional[Node]:
    wanted = metadata.values.get("resource_id")
    if wanted:
        for resource in resources:
            if resource.values.get("id") == wanted:
                return resource
    referenced = [r for r in resources if r.config_address in metadata.deps]
    if not referenced:
        return None

    def hops(resource: Node) -> int:
        found = distance(edges, metadata.config_address, resource.config_address)
        return found if found is not None else -len(resource.deps)

    return min(referenced, key=lambda r: (hops(r), r.address))


def build_resources(nodes: list[Node], edges: Optional[dict[str, set[str]]] = None
                    ) -> list[Resource]:
    """The resources of a build, with agents (+ apps, scripts, env) and metadata.

    `edges` (from `terraform graph`) measure how close resources are; without them the
    number of dependencies stands in for the distance.
    """
    edges = edges or {}
    managed = [n for n in nodes if n.mode == "managed"]
    by_type: dict[str, list[Node]] = {}
    for node in managed:
        by_type.setdefault(node.type, []).append(node)
    agent_nodes = by_type.get("coder_agent", [])
    agents = {id(n): _agent(n) for n in agent_nodes}
    for kind, attach in (("coder_app", lambda a, n: a.apps.append(_app(n))),
                         ("coder_script", lambda a, n: a.scripts.append(_script(n))),
                         ("coder_env", lambda a, n: a.env.__setitem__(
                             _s(n.values.get("name")), _s(n.values.get("value")))),
                         ("coder_agent_instance", lambda a, n: setattr(
                             a, "instance_id", _s(n.values.get("instance_id"))))):
        for node in by_type.get(kind, []):
            owner = _owner(node, agent_nodes)
            if owner is not None:
                attach(agents[id(owner)], node)

    plain = [n for n in managed if not n.type.startswith("coder_")]
    resources = {id(n): Resource(type=n.type, name=n.name, address=n.address) for n in plain}
    for node in agent_nodes:
        host = _closest_dependent(node, plain, edges)
        if host is not None:
            agent = agents[id(node)]
            agent.resource_address = host.address
            resources[id(host)].agents.append(agent)
    for node in by_type.get("coder_metadata", []):
        target = _described(node, plain, edges)
        if target is None:
            continue
        resource, v = resources[id(target)], node.values
        resource.hide = _b(v.get("hide"))
        resource.icon = _s(v.get("icon"))
        resource.daily_cost = _i(v.get("daily_cost"))
        resource.metadata = [MetadataItem(key=_s(item.get("key")), value=item.get("value"),
                                          sensitive=_b(item.get("sensitive")),
                                          is_null=item.get("value") is None)
                             for item in v.get("item") or []]
    return sorted(resources.values(), key=lambda r: r.address)


def build_parameters(nodes: list[Node]) -> list[TemplateParameter]:
    params = []
    for node in nodes:
        if node.mode != "data" or node.type != "coder_parameter":
            continue
        v = node.values
        rule = _first(v.get("validation"))
        params.append(TemplateParameter(
            name=_s(v.get("name")), display_name=_s(v.get("display_name")),
            description=_s(v.get("description")), type=_s(v.get("type")) or "string",
            form_type=_s(v.get("form_type")), styling=_s(v.get("styling")) or "{}",
            mutable=_b(v.get("mutable")), ephemeral=_b(v.get("ephemeral")),
            default_value=_s(v.get("default")), icon=_s(v.get("icon")),
            options=[ParameterOption(name=_s(o.get("name")), value=_s(o.get("value")),
                                     description=_s(o.get("description")),
                                     icon=_s(o.get("icon")))
                     for o in v.get("option") or []],
            validation_error=_s(rule.get("error")), validation_regex=_s(rule.get("regex")),
            validation_min=None if rule.get("min_disabled", True) else _i(rule.get("min"), None),
            validation_max=None if rule.get("max_disabled", True) else _i(rule.get("max"), None),
            validation_monotonic=_s(rule.get("monotonic")),
            required=not _b(v.get("optional")), order=_i(v.get("order"), None),
            value=_s(v.get("value"))))
    return sorted(params, key=lambda p: (p.order or 0, p.name))


def build_workspace_tags(nodes: list[Node]) -> dict[str, str]:
    tags: dict[str, str] = {}
    for node in nodes:
        if node.mode == "data" and node.type == "coder_workspace_tags":
            tags.update({k: _s(v) for k, v in (node.values.get("tags") or {}).items()})
    return tags


def build_presets(nodes: list[Node]) -> list[Preset]:
    presets = []
    for node in nodes:
        if node.mode != "data" or node.type != "coder_workspace_preset":
            continue
        v = node.values
        prebuilds = _first(v.get("prebuilds"))
        expiration = _first(prebuilds.get("expiration_policy"))
        presets.append(Preset(
            name=_s(v.get("name")), description=_s(v.get("description")),
            icon=_s(v.get("icon")), default=_b(v.get("default")),
            parameters={k: _s(x) for k, x in (v.get("parameters") or {}).items()},
            prebuild_instances=_i(prebuilds.get("instances"), None),
            prebuild_expiration_ttl=_i(expiration.get("ttl"), None)))
    return sorted(presets, key=lambda p: p.name)


def build_external_auth(nodes: list[Node]) -> list[ExternalAuthRequirement]:
    found: dict[str, ExternalAuthRequirement] = {}
    for node in nodes:
        if node.mode == "data" and node.type in ("coder_external_auth", "coder_git_auth"):
            provider_id = _s(node.values.get("id"))
            found[provider_id] = ExternalAuthRequirement(
                id=provider_id, optional=_b(node.values.get("optional")))
    return sorted(found.values(), key=lambda e: e.id)
