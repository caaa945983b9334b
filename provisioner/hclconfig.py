"""What the provisioner reads from a template's files before Terraform runs.

Owns: the root module's `variable` declarations (name, type constraint as written,
sensitivity, in file order), its provider requirements (local name -> source) and whether
it uses `coder_*` blocks. That is all that must be known before `terraform init`; it is
read with an HCL parser (python-hcl2) without evaluating anything, the way Coder reads
templates with terraform-config-inspect. Everything that needs evaluation comes from
Terraform itself: defaults and descriptions from the shown plan's configuration, rich
parameters from the evaluated `coder_parameter` data sources.

Reading never decides whether a configuration is valid: a file the parser cannot read
is listed in `unreadable` and Terraform, which runs next, reports its real errors.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

# Terraform loads these from the root module's directory (not from subdirectories).
_SUFFIXES = (".tf", ".tf.json")
# A type constraint written as an expression comes back as "${...}".
_INTERPOLATION = re.compile(r"^\$\{(.*)\}$", re.S)


@dataclass
class Variable:
    name: str
    type: str = ""  # the constraint as written, e.g. "list(string)"; "" when untyped
    sensitive: bool = False
    filename: str = ""


@dataclass
class ModuleConfig:
    variables: list[Variable] = field(default_factory=list)
    required_providers: dict[str, str] = field(default_factory=dict)  # local name -> source
    block_types: set[str] = field(default_factory=set)  # resource/data types used
    resource_types: set[str] = field(default_factory=set)  # managed resource types used
    has_module_calls: bool = False
    unreadable: dict[str, str] = field(default_factory=dict)  # file name -> parser error

    @property
    def uses_coder(self) -> bool:
        return any(kind.startswith("coder_") for kind in self.block_types)


def read_module(directory: str) -> ModuleConfig:
    """The root module's declarations, from every `.tf` / `.tf.json` file in `directory`."""
    config = ModuleConfig()
    for path in sorted(p for p in Path(directory).iterdir()
                       if p.is_file() and p.name.endswith(_SUFFIXES)):
        try:
            document = _load(path)
        except Exception as exc:  # the parser's errors have no common base worth naming
            config.unreadable[path.name] = " ".join(str(exc).split())[:300]
            continue
        _collect(config, document, path.name)
    return config


def _load(path: Path) -> dict:
    text = path.read_text(encoding="utf-8", errors="replace")
    if path.name.endswith(".json"):
        document = json.loads(text)
        return document if isinstance(document, dict) else {}
    import hcl2  # imported here: only the job that parses a template needs it
    from hcl2.utils import SerializationOptions

    return hcl2.loads(text, serialization_options=SerializationOptions(
        with_comments=False, strip_string_quotes=True, explicit_blocks=False))


def _blocks(value: Any) -> list[dict]:
    """HCL gives repeated blocks as a list of dicts, JSON as one dict (or a list)."""
    if isinstance(value, dict):
        return [value]
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def _collect(config: ModuleConfig, document: dict, filename: str) -> None:
    for block in _blocks(document.get("variable")):
        for name, body in block.items():
            body = body if isinstance(body, dict) else {}
            config.variables.append(Variable(
                name=name, type=_type_text(body.get("type")),
                sensitive=body.get("sensitive") is True, filename=filename))
    for block in _blocks(document.get("terraform")):
        for requirements in _blocks(block.get("required_providers")):
            for local_name, requirement in requirements.items():
                # `name = "1.0"` (a bare version) is the legacy form: source hashicorp/<name>.
                source = requirement.get("source") if isinstance(requirement, dict) else None
                config.required_providers[local_name] = str(source or f"hashicorp/{local_name}")
    for kind in ("resource", "data"):
        for block in _blocks(document.get(kind)):
            config.block_types.update(str(name) for name in block)
            if kind == "resource":
                config.resource_types.update(str(name) for name in block)
    if _blocks(document.get("module")):
        config.has_module_calls = True


def _type_text(value: Any) -> str:
    if not isinstance(value, str):
        return ""
    match = _INTERPOLATION.match(value.strip())
    return " ".join((match.group(1) if match else value).split())


def source_address(source: str) -> str:
    """A provider source in its full form: `coder/coder` -> `registry.terraform.io/coder/coder`."""
    parts = source.strip().lower().split("/")
    return "/".join(["registry.terraform.io", *parts] if len(parts) == 2 else parts)


def local_name_of(config: ModuleConfig, source: str) -> Optional[str]:
    """The local name under which the module requires provider `source`, if it does."""
    wanted = source_address(source)
    for local_name, declared in config.required_providers.items():
        if source_address(declared) == wanted:
            return local_name
    return None
