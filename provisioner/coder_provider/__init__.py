"""Our implementation of the Terraform provider `coder/coder` (plugin protocol v6).

Templates written for Coder use it unchanged: data sources coder_parameter,
coder_workspace, coder_workspace_owner, coder_provisioner, coder_external_auth,
coder_workspace_tags, coder_workspace_preset; resources coder_agent, coder_app,
coder_metadata, coder_script, coder_env, coder_agent_instance. Per-build values arrive
through the environment (see `envvars`). Terraform runs it either as a plugin process
(`python -m provisioner.coder_provider`, via the filesystem mirror in provisioner/mirror.py)
or, faster, inside the terraform worker through `TF_REATTACH_PROVIDERS` (`server.Reattached`).

Importing this package prints nothing and starts nothing.
"""

from .envvars import agent_token_env_var, external_auth_env_var, parameter_env_var

PROVIDER_ADDRESS = "registry.terraform.io/coder/coder"

__all__ = ["PROVIDER_ADDRESS", "parameter_env_var", "agent_token_env_var",
           "external_auth_env_var"]
