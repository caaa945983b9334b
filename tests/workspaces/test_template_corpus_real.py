"""Every template of the construct corpus imports and builds with REAL Terraform.

The corpus (tests/provisioner/templates/corpus) uses the whole language as Coder's public
templates do: operators of every kind, conditionals, `for` expressions, `count`/`for_each`
from expressions, `dynamic` blocks, a local module, `templatefile`, `.tfvars` files. Each
template is imported through the job runner (Celery eager), must report the variables and
parameters Terraform evaluates, then a workspace is built (start) and stopped.
"""
from __future__ import annotations

import pytest

from accounts.services.audit import Actor
from tests.templates_app.archive_helpers import PROVISIONER_TEMPLATES, tar_of_dir
from tests.workspaces.helpers import create_template, import_version
from workspaces.models import WorkspaceAgent, WorkspaceBuild
from workspaces.services import builds as build_services
from workspaces.services import workspaces as workspace_services

pytestmark = [pytest.mark.real, pytest.mark.django_db(transaction=True)]
CORPUS = PROVISIONER_TEMPLATES / "corpus"

# name -> (variables {name: (type, default, required)}, parameters {name: (default, option values)},
#          resources when running, agents {name: app slugs})
EXPECTED = {
    "operators": (
        {"disk_gb": ("number", "4", False), "image": ("string", "", False), "debug": ("bool", "false", False)},
        {"cpus": ("2", []), "home_mb": ("2048", []), "shell": ("bash", ["bash", "sh"])},
        ["terraform_data.workspace[0]"],
        {"main": []},
    ),
    "collections": (
        {},
        {"region": ("eu", ["eu", "us"]),
         "ides": ('["code-server","filebrowser"]', ["code-server", "jupyter", "filebrowser"])},
        ['terraform_data.volume["zone-1"]', 'terraform_data.volume["zone-2"]', "terraform_data.zone[0]",
         "terraform_data.zone[1]", "terraform_data.zone[2]"],
        {"dev": ["code-server", "filebrowser"]},
    ),
    "modules_files": (
        # `project` has no default: its value comes from the template's terraform.tfvars.
        {"project": ("string", "atlas", False), "labels": ("map(string)", "{}", False),
         "settings": ('object({shell = optional(string), editor = optional(string, "vim"), '
                      "workdir = optional(string)})", '{"editor": "vim", "shell": null, "workdir": null}', False),
         "git_url": ("string", "https://example.com/acme/atlas.git", False)},
        {"dotfiles": ("", [])},
        ["module.home[0].terraform_data.home"],
        {"main": ["files"]},
    ),
}


@pytest.fixture(autouse=True)
def eager(settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True


def test_the_corpus_is_complete():
    assert sorted(p.name for p in CORPUS.iterdir() if p.is_dir()) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_corpus_template_imports_and_builds(owner, org, name):
    variables, parameters, resources, agents = EXPECTED[name]
    actor = Actor.for_user(owner)
    version = import_version(actor, org, tar_of_dir(CORPUS / name))  # asserts the job succeeded

    assert {v.name: (v.type, v.default_value, v.required) for v in version.variables.all()} == variables
    assert {p.name: (p.default_value, [o["value"] for o in p.options]) for p in version.parameters.all()} \
        == parameters

    template = create_template(actor, org, version, name=name.replace("_", "-"))
    workspace = workspace_services.create_workspace(actor=actor, organization=org, owner=owner, name="corpus",
                                                    template_id=template.pk)
    start = WorkspaceBuild.objects.filter(workspace=workspace).get()
    assert start.job.status == "succeeded", (start.job.error, list(start.job.logs.values_list("output", flat=True)))
    assert sorted(r.address for r in start.resources.exclude(type__startswith="coder_")) == resources
    built_agents = WorkspaceAgent.objects.filter(resource__build=start)
    assert {a.name: sorted(app.slug for app in a.apps.all()) for a in built_agents} == agents
    assert {p.name for p in start.parameters.all()} == set(parameters)

    stop = build_services.request_build(workspace, actor=actor, transition="stop")
    stop.refresh_from_db()
    assert stop.job.status == "succeeded", stop.job.error
    assert not WorkspaceAgent.objects.filter(resource__build=stop).exists()
