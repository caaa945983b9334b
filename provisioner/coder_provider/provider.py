"""The coder provider object: provider-level schema and configuration, and the list of
resources and data sources it serves (the `tf` framework's Provider protocol)."""

from __future__ import annotations

import os
from urllib.parse import urlsplit

from tf.iface import Provider
from tf.schema import Attribute, Schema
from tf.types import Bool, String

from . import PROVIDER_ADDRESS, envvars
from .data_sources import (
    ExternalAuthDataSource,
    GitAuthDataSource,
    ProvisionerDataSource,
    WorkspaceDataSource,
    WorkspaceOwnerDataSource,
    WorkspacePresetDataSource,
    WorkspaceTagsDataSource,
)
from .parameter import ParameterDataSource
from .resources import (
    AgentInstanceResource,
    AgentResource,
    AppResource,
    EnvResource,
    MetadataResource,
    ScriptResource,
)
from .schema_kit import known


class CoderProvider(Provider):
    """Python implementation of Terraform's `coder/coder` provider."""

    def __init__(self):
        self.access_url = self._default_url()

    @staticmethod
    def _default_url() -> str:
        return os.environ.get(envvars.AGENT_URL) or envvars.DEFAULT_ACCESS_URL

    def get_model_prefix(self) -> str:
        return "coder_"

    def full_name(self) -> str:
        return PROVIDER_ADDRESS

    def get_provider_schema(self, diags) -> Schema:
        return Schema(attributes=[
            Attribute("url", String(), optional=True,
                      description="The deployment's access URL; defaults to $CODER_AGENT_URL."),
            # Accepted (and ignored) so that templates written for Coder 0.x still load.
            Attribute("feature_use_managed_variables", Bool(), optional=True, deprecated=True,
                      description="Deprecated: template variables are always managed."),
        ])

    def validate_config(self, diags, config):
        url = config.get("url")
        if known(url) and not urlsplit(url).scheme:
            diags.add_error(f"url {url!r} must be an absolute URL", path=["url"])

    def configure_provider(self, diags, config):
        url = config.get("url")
        self.access_url = url if known(url) and url else self._default_url()

    def get_data_sources(self):
        return [WorkspaceDataSource, WorkspaceOwnerDataSource, ParameterDataSource,
                ProvisionerDataSource, ExternalAuthDataSource, GitAuthDataSource,
                WorkspaceTagsDataSource, WorkspacePresetDataSource]

    def get_resources(self):
        return [AgentResource, AgentInstanceResource, AppResource, MetadataResource,
                ScriptResource, EnvResource]
