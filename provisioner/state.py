"""Reading Terraform state files and `terraform show -json` plans into one flat shape.

Owns: `Node` (one resource instance: addresses, values, and the configuration addresses
it depends on, transitively) and the two readers: `nodes_from_state(bytes)` for the state
file a build leaves behind and `nodes_from_plan(dict)` for a saved plan shown as JSON.
Everything that interprets coder_* resources works on Nodes (see convert.py).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any, Iterable, Optional

_INDEX = re.compile(r'\[(?:"(?:[^"\\]|\\.)*"|[^\]]*)\]')
_NOT_RESOURCES = {"var", "local", "count", "each", "path", "terraform", "self", "module",
                  "data", "ephemeral", "resource"}


@dataclass
class Node:
    address: str  # instance address, e.g. module.m.coder_agent.main[0]
    config_address: str  # without instance keys, e.g. module.m.coder_agent.main
    mode: str  # managed | data
    type: str
    name: str
    index: Any = None
    values: dict = field(default_factory=dict)
    deps: set[str] = field(default_factory=set)


def strip_indexes(address: str) -> str:
    return _INDEX.sub("", address)


def _index_suffix(index: Any) -> str:
    if index is None:
        return ""
    return f"[{json.dumps(index)}]" if isinstance(index, str) else f"[{index}]"


def nodes_from_state(state: bytes) -> list[Node]:
    """Nodes of every resource instance in a state file (format version 4)."""
    if not state:
        return []
    try:
        document = json.loads(state)
    except ValueError:
        return []
    nodes = []
    for resource in document.get("resources") or []:
        module = resource.get("module") or ""
        prefix = f"{module}." if module else ""
        local = ("data." if resource.get("mode") == "data" else "") + \
            f"{resource['type']}.{resource['name']}"
        for instance in resource.get("instances") or []:
            index = instance.get("index_key")
            nodes.append(Node(
                address=prefix + local + _index_suffix(index),
                config_address=strip_indexes(prefix) + local,
                mode=resource.get("mode", "managed"), type=resource["type"],
                name=resource["name"], index=index,
                values=instance.get("attributes") or {},
                deps=set(instance.get("dependencies") or [])))
    return nodes


def nodes_from_plan(plan: dict, section: str = "planned_values") -> list[Node]:
    """Nodes of a plan shown as JSON; `section` is planned_values or prior_state."""
    values = plan.get(section) or {}
    if section == "prior_state":
        values = values.get("values") or {}
    references = _config_references(plan.get("configuration") or {})
    closure = _transitive(references)
    nodes = []
    for resource in _walk_modules(values.get("root_module") or {}):
        config_address = strip_indexes(resource["address"])
        nodes.append(Node(
            address=resource["address"], config_address=config_address,
            mode=resource.get("mode", "managed"), type=resource["type"],
            name=resource["name"], index=resource.get("index"),
            values=resource.get("values") or {}, deps=closure.get(config_address, set())))
    return nodes


def _walk_modules(module: dict) -> Iterable[dict]:
    yield from module.get("resources") or []
    for child in module.get("child_modules") or []:
        yield from _walk_modules(child)


def _config_references(configuration: dict) -> dict[str, set[str]]:
    """Direct dependencies (config addresses) of each resource in the configuration."""
    out: dict[str, set[str]] = {}

    def visit(module: dict, prefix: str) -> None:
        for resource in module.get("resources") or []:
            refs = set(_references_in(resource.get("expressions") or {}))
            refs.update(resource.get("depends_on") or [])
            refs.update(_references_in(resource.get("count_expression") or {}))
            refs.update(_references_in(resource.get("for_each_expression") or {}))
            out[prefix + resource["address"]] = {
                prefix + r for r in (_resource_of(ref) for ref in refs) if r}
        for name, call in (module.get("module_calls") or {}).items():
            visit(call.get("module") or {}, f"{prefix}module.{name}.")

    visit(configuration.get("root_module") or {}, "")
    return out


def _references_in(expression: Any) -> Iterable[str]:
    if isinstance(expression, dict):
        for key, value in expression.items():
            if key == "references" and isinstance(value, list):
                yield from (v for v in value if isinstance(v, str))
            else:
                yield from _references_in(value)
    elif isinstance(expression, list):
        for item in expression:
            yield from _references_in(item)


def _resource_of(reference: str) -> Optional[str]:
    """`coder_agent.main[0].token` -> `coder_agent.main`; None for var.x, local.y, ..."""
    parts = strip_indexes(reference).split(".")
    if parts[0] == "data" and len(parts) >= 3:
        return ".".join(parts[:3])
    if parts[0] in _NOT_RESOURCES or len(parts) < 2:
        return None
    return ".".join(parts[:2])


def _transitive(direct: dict[str, set[str]]) -> dict[str, set[str]]:
    closure: dict[str, set[str]] = {}

    def resolve(address: str, trail: frozenset) -> set[str]:
        if address in closure:
            return closure[address]
        result: set[str] = set()
        for dep in direct.get(address, ()):
            if dep in trail:
                continue
            result.add(dep)
            result |= resolve(dep, trail | {dep})
        closure[address] = result
        return result

    for address in direct:
        resolve(address, frozenset({address}))
    return closure
