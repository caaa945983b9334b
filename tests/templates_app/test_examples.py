"""Starter templates: the examples endpoints, their archives, and the `local` starter run
for real (offline: only the bundled coder provider and Terraform built-ins)."""
from __future__ import annotations

import io
import os
import tarfile
import time
import uuid

import pytest

from templates_app import archives, examples

EXAMPLE_FIELDS = {"id", "url", "name", "description", "icon", "tags", "markdown"}


@pytest.mark.django_db
@pytest.mark.parametrize("actor, status", [
    ("owner", 200), ("org_admin", 200), ("template_admin", 200), ("member", 404), ("outsider", 404)])
def test_org_examples_permissions(request, client_for, org, actor, status):
    response = client_for(request.getfixturevalue(actor)).get(f"/api/v2/organizations/{org.id}/templates/examples")
    assert response.status_code == status


@pytest.mark.django_db
def test_examples_list_shape(client_for, owner):
    response = client_for(owner).get("/api/v2/templates/examples")
    assert response.status_code == 200
    by_id = {e["id"]: e for e in response.json()}
    assert {"local", "docker"} <= set(by_id)
    for example in by_id.values():
        assert set(example) == EXAMPLE_FIELDS
        assert example["name"] and example["description"] and example["markdown"]
        assert isinstance(example["tags"], list)
        assert not example["markdown"].startswith("---")  # front matter stripped
    assert "registry" in by_id["docker"]["markdown"].lower()


@pytest.mark.django_db
def test_template_admin_sees_examples_anywhere(client_for, template_admin, member):
    assert client_for(template_admin).get("/api/v2/templates/examples").status_code == 200
    assert client_for(member).get("/api/v2/templates/examples").status_code == 404


@pytest.mark.parametrize("example_id", ["local", "docker"])
def test_example_archive_is_a_valid_template_upload(example_id):
    data = examples.example_archive(example_id)
    assert examples.example_archive(example_id) == data  # deterministic bytes: uploads dedupe
    assert archives.validate(data, "application/x-tar", archives.Limits(
        max_archive_bytes=10 << 20, max_uncompressed_bytes=10 << 20, max_entries=100)) == "application/x-tar"
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        assert {"main.tf", "README.md"} <= set(tar.getnames())


def test_unknown_example():
    assert examples.get_example("nope") is None
    with pytest.raises(KeyError):
        examples.example_archive("nope")


def _unpack(example_id, target) -> str:
    with tarfile.open(fileobj=io.BytesIO(examples.example_archive(example_id))) as tar:
        tar.extractall(target, filter="data")
    return str(target)


@pytest.mark.real
def test_local_example_starts_and_stops_an_agent_offline(tmp_path, monkeypatch):
    from provisioner import ProvisionRequest, RunnerOptions, coder_env, parse, provision

    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))  # the template keeps workspaces under ~/coder-local
    options = RunnerOptions(data_dir=str(tmp_path / "data"))
    schema = parse(_unpack("local", tmp_path / "parse"), options=options)
    assert schema.status == "succeeded", schema.error
    assert [(r.type, r.name) for r in schema.resources] == [("terraform_data", "agent")]

    workspace_id = str(uuid.uuid4())
    # Nothing listens on port 9: the bootstrap keeps retrying the download, which is what
    # lets us see the background process alive and then stopped.
    env = coder_env(access_url="http://127.0.0.1:9/", workspace_id=workspace_id, workspace_name="w",
                    owner_name="alice", owner_email="alice@example.com")
    workdir = _unpack("local", tmp_path / "build")
    started = provision(ProvisionRequest(working_dir=workdir, transition="start", provider_env=env), options=options)
    assert started.status == "succeeded", started.error
    agent_names = [a.name for a in started.agents]
    assert agent_names == ["main"]
    assert [app.slug for app in started.apps] == ["files"]

    pid_file = home / "coder-local" / workspace_id / "agent.pid"
    pid = int(pid_file.read_text())
    assert _alive(pid)

    stopped = provision(ProvisionRequest(working_dir=workdir, transition="stop", state=started.state,
                                         provider_env=env), options=options)
    assert stopped.status == "succeeded", stopped.error
    deadline = time.monotonic() + 10
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _alive(pid)
    assert not pid_file.exists()


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split()[2] != "Z"
    except FileNotFoundError:
        return False
    except OSError:
        return os.path.exists(f"/proc/{pid}")
