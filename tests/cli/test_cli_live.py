"""The served single-file CLI against a live portal with real Terraform: log in with a
token, `templates init --id local`, `templates push` with a variable, `create` with
parameters, `list -o json`, `ssh` (its one-line failure reason when the workspace's python3
lacks an SSH server), `schedule stop`, `stop`, `start`, `delete -y` — each checks output and
exit status."""
from __future__ import annotations

import json
import os
import signal
import subprocess

import pytest

from accounts.services.tokens import issue_token_for_tests
from tests.agent.conftest import processes_with_env, wait_for
from tests.cli.conftest import CLEAN_PYTHON
from workspaces.models import Workspace

pytestmark = [pytest.mark.real, pytest.mark.timeout(600)]

EXTRA_TF = '''
variable "greeting" {
  type = string
}

data "coder_parameter" "size" {
  name         = "size"
  display_name = "Size"
  description  = "How big"
  type         = "string"
  mutable      = true
  option {
    name  = "Small"
    value = "small"
  }
  option {
    name  = "Large"
    value = "large"
  }
}

resource "terraform_data" "greeting" {
  input = "${var.greeting} ${data.coder_parameter.size.value}"
}

resource "coder_metadata" "greeting" {
  resource_id = terraform_data.greeting.id
  item {
    key   = "greeting"
    value = "${var.greeting} ${data.coder_parameter.size.value}"
  }
}
'''


@pytest.fixture(autouse=True)
def eager(settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True


@pytest.fixture
def provisioner_home(tmp_path, monkeypatch):
    home = tmp_path / "prov-home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))  # the local template keeps workspaces under ~/coder-local
    # The workspace's python3 is the system's plain one: the agent has no paramiko there.
    monkeypatch.setenv("PATH", os.pathsep.join(p for p in os.environ["PATH"].split(os.pathsep)
                                               if ".venv" not in p and "/venv" not in p))
    yield home
    for root in (home / "coder-local").glob("*"):  # whatever a failed test left running
        for pid, _ in processes_with_env("CODER_LOCAL_SESSION", str(root)):
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass


def test_the_interpreter_is_clean(served_cli):
    done = subprocess.run([*CLEAN_PYTHON, "-c", "import paramiko"], capture_output=True, text=True)
    assert done.returncode != 0
    listed = served_cli("--help").stdout
    for command in ("login", "logout", "whoami", "version", "templates", "create", "list", "show", "start", "stop",
                    "restart", "update", "delete", "logs", "schedule", "ssh", "config-ssh", "port-forward", "tokens",
                    "users", "organizations", "groups", "provisioner", "completion"):
        assert f"\n    {command} " in listed or f"\n    {command}\n" in listed, command
    for group in (["templates", "push"], ["templates", "versions", "list"], ["schedule", "extend"], ["tokens", "list"]):
        assert served_cli(*group, "--help").stdout.startswith(f"usage: coderportal {' '.join(group)}")


def test_cli_end_to_end(portal, served_cli, provisioner_home, owner, org, tmp_path):
    cli = served_cli
    token = issue_token_for_tests(owner)

    refused = cli("login", portal, "--token", "bogus-token", check=False)
    assert refused.returncode == 1 and refused.stderr.startswith("error: login failed: HTTP 401")
    assert len(refused.stderr.strip().splitlines()) == 1

    done = cli("login", portal, "--token", token)
    assert f"You are now authenticated with {portal}" in done.stdout
    assert (cli.home / ".config" / "coderportal" / "session").read_text().strip() == token
    assert (cli.home / ".config" / "coderportal" / "session").stat().st_mode & 0o077 == 0
    assert owner.username in cli("whoami").stdout

    directory = tmp_path / "tpl"
    done = cli("templates", "init", "--id", "local", str(directory))
    assert (directory / "main.tf").read_text().startswith("# A workspace made of processes")
    (directory / "extra.tf").write_text(EXTRA_TF)

    missing = cli("templates", "push", "starter", "-d", str(directory), "-y", check=False)
    assert missing.returncode == 1 and "greeting" in missing.stderr, missing.stderr

    done = cli("templates", "push", "starter", "-d", str(directory), "--variable", "greeting=hello", "-y")
    assert "Template 'starter' has been created" in done.stdout
    assert "==> ⧗" in done.stdout  # the import's stages streamed
    listed = json.loads(cli("templates", "list", "-o", "json").stdout)
    assert [t["name"] for t in listed] == ["starter"]
    assert "starter" in cli("templates", "list", "--column", "name").stdout.splitlines()[1]
    versions = cli("templates", "versions", "list", "starter").stdout
    assert "Active" in versions and "succeeded" in versions

    bad = cli("create", "dev", "-t", "starter", "--parameter", "size=huge", "-y", check=False)
    assert bad.returncode == 1 and bad.stderr.startswith("error: "), bad.stderr
    no_param = cli("create", "dev", "-t", "starter", "-y", check=False)
    assert no_param.returncode == 1 and "--parameter size=VALUE" in no_param.stderr

    done = cli("create", "dev", "-t", "starter", "--parameter", "size=large", "-y")
    assert "The dev workspace has been created!" in done.stdout
    assert "terraform_data.agent" in done.stdout  # Terraform's log lines streamed
    workspace = Workspace.objects.get(name="dev")
    ws_dir = provisioner_home / "coder-local" / str(workspace.id)
    try:
        rows = json.loads(cli("list", "-o", "json").stdout)
        assert [(w["name"], w["latest_build"]["status"]) for w in rows] == [("dev", "running")]
        metadata = [i for r in rows[0]["latest_build"]["resources"] for i in r.get("metadata") or []]
        assert {"key": "greeting", "value": "hello large", "sensitive": False} in metadata
        table = cli("list", "-c", "workspace,status").stdout.splitlines()
        assert table[0].split() == ["WORKSPACE", "STATUS"] and table[1].split() == [f"{owner.username}/dev",
                                                                                     "Running"]
        unknown = cli("list", "-c", "nope", check=False)
        assert unknown.returncode == 1 and "unknown column" in unknown.stderr

        # The agent runs on a python3 without paramiko: ssh says so in one line (not kex_exchange...).
        wait_for(lambda: json.loads(cli("show", "dev", "-o", "json").stdout)["latest_build"]["resources"]
                 and _agent(cli).get("lifecycle_state") == "ready", timeout=120, message="agent ready")
        failed = cli("ssh", "dev", "--", "uname", "-a", check=False, timeout=120)
        assert failed.returncode != 0
        first = failed.stderr.splitlines()[0]  # OpenSSH's own kex_exchange_identification line follows
        assert first.startswith("error: ssh to coder.dev: SSH server unavailable: the workspace's "), first
        assert first.endswith("lacks paramiko"), first
        assert "paramiko" in (ws_dir / "agent.log").read_text()  # and the agent's log says why

        done = cli("schedule", "stop", "dev", "2h")
        assert "Autostop for dev: 2h" in done.stdout
        assert "Stops after: 120m" in cli("schedule", "show", "dev").stdout
        done = cli("schedule", "start", "dev", "9:30AM", "Mon-Fri", "Europe/Dublin")
        assert json.loads(cli("show", "dev", "-o", "json").stdout)["autostart_schedule"] == \
            "CRON_TZ=Europe/Dublin 30 9 * * 1-5"

        assert "has been stopped" in cli("stop", "dev", "-y").stdout
        assert json.loads(cli("list", "-o", "json").stdout)[0]["latest_build"]["status"] == "stopped"
        assert "has been started" in cli("start", "dev").stdout
        logs = cli("logs", "dev").stdout
        assert "==> " in logs
        assert cli("logs", "dev", "--follow").stdout.count("==> ⧗") >= 1  # an ended build: the stream completes
    finally:
        done = cli("delete", "dev", "-y", check=False)
    assert done.returncode == 0 and "has been deleted" in done.stdout, done.stderr
    assert json.loads(cli("list", "-o", "json").stdout) == []
    assert processes_with_env("CODER_LOCAL_SESSION", str(ws_dir)) == []

    gone = cli("show", "dev", check=False)
    assert gone.returncode == 1 and gone.stderr.startswith("error: HTTP 404")
    assert "You are no longer logged in." in cli("logout", "-y").stdout
    assert cli("whoami", check=False).returncode == 1


def _agent(cli) -> dict:
    w = json.loads(cli("show", "dev", "-o", "json").stdout)
    return next(a for r in w["latest_build"]["resources"] for a in r.get("agents") or [])
