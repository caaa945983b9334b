"""Template-side models: uploaded files, templates, template versions, provisioner jobs."""
from .acl import TemplateGroupObjectPermission, TemplateUserObjectPermission
from .files import File
from .jobs import JobStatus, JobType, ProvisionerDaemon, ProvisionerJob, ProvisionerJobLog
from .templates import Template
from .versions import TemplateVersion, TemplateVersionParameter, TemplateVersionVariable

__all__ = [
    "File", "JobStatus", "JobType", "ProvisionerDaemon", "ProvisionerJob", "ProvisionerJobLog", "Template",
    "TemplateGroupObjectPermission", "TemplateUserObjectPermission", "TemplateVersion", "TemplateVersionParameter",
    "TemplateVersionVariable",
]
