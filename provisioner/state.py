"""Reading Terraform state files and `terraform show -json` plans into one flat shape.

Owns: `Node` (one resource instance: addresses, values, and the configuration addresses
it depends on, transitively) and the two readers: `nodes_from_state(bytes)` for the state
file a build leaves behind and `nodes_from_plan(dict, edges)` for a saved plan shown as
JSON, plus the resource graph of `terraform graph` (`parse_graph`, `distance`).
Everything that interprets coder_* resources works on Nodes (see convert.py).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any, Iterable, Optional

_INDEX = re.compile(r'\[(?:"(?:[^"\\]|\\.)*"|[^\]]*)\]')
_EDGE = re.compile(r'^\s*"([^"]+)"\s*->\s*"([^"]+)"')


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


def nodes_from_plan(plan: dict, edges: dict[str, set[str]],
                    section: str = "planned_values") -> list[Node]:
    """Nodes of a plan shown as JSON; `section` is planned_values or prior_state.

    A plan records no dependencies, so they come from `edges` (see parse_graph).
    """
    values = plan.get(section) or {}
    if section == "prior_state":
        values = values.get("values") or {}
    closure = transitive(edges)
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


def parse_graph(dot_lines: Iterable[str]) -> dict[str, set[str]]:
    """Direct dependencies per configuration address, from `terraform graph` (DOT).

    Terraform's default graph is the resource-level one: references through variables,
    locals and module boundaries are already resolved into resource-to-resource edges.
    """
    edges: dict[str, set[str]] = {}
    for line in dot_lines:
        match = _EDGE.match(line)
        if match:
            edges.setdefault(match.group(1), set()).add(match.group(2))
    return edges


def transitive(edges: dict[str, set[str]]) -> dict[str, set[str]]:
    closure: dict[str, set[str]] = {}
    for start in edges:
        seen: set[str] = set()
        stack = list(edges[start])
        while stack:
            current = stack.pop()
            if current in seen or current == start:
                continue
            seen.add(current)
            stack.extend(edges.get(current, ()))
        closure[start] = seen
    return closure


def distance(edges: dict[str, set[str]], source: str, target: str) -> Optional[int]:
    """Number of dependency hops from `source` to `target` (None: unrelated)."""
    frontier, seen, hops = {source}, {source}, 0
    while frontier:
        if target in frontier:
            return hops
        frontier = {d for f in frontier for d in edges.get(f, ())} - seen
        seen |= frontier
        hops += 1
    return None
