"""Interactive parameter prompts of `create`, in a real terminal (a pty): each parameter is
shown with its description and options, an out-of-range number is refused with the rule and
asked again, defaults are taken with Enter, and the confirmation is asked last."""
from __future__ import annotations

import os
import pty
import select
import subprocess
import time

import pytest

from accounts.services.audit import Actor
from accounts.services.tokens import issue_token_for_tests
from templates_app.services import files as file_services
from templates_app.services import templates as template_services
from templates_app.services import versions as version_services
from tests.cli.conftest import CLEAN_PYTHON
from tests.templates_app.archive_helpers import echo_template
from tests.workspaces.api_helpers import SCRIPT
from workspaces.models import Workspace

pytestmark = pytest.mark.timeout(120)


@pytest.fixture(autouse=True)
def echo(monkeypatch, settings):
    monkeypatch.setenv("CODER_ENABLE_ECHO_PROVISIONER", "true")
    settings.CELERY_TASK_ALWAYS_EAGER = True


def _echo_template(owner, org):
    actor = Actor.for_user(owner)
    file, _ = file_services.upload_file(actor=actor, data=echo_template(SCRIPT), content_type="application/x-tar")
    version = version_services.create_template_version(actor=actor, organization=org, file_id=file.pk,
                                                       provisioner="echo")
    return template_services.create_template(actor=actor, organization=org, name="dev",
                                             template_version_id=version.pk)


class Terminal:
    def __init__(self, argv, env):
        self.master, slave = pty.openpty()
        self.proc = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave, env=env, close_fds=True)
        os.close(slave)
        self.seen = ""

    def expect(self, text: str, timeout: float = 60) -> str:
        deadline = time.monotonic() + timeout
        while text not in self.seen:
            assert time.monotonic() < deadline, f"waited for {text!r}; screen:\n{self.seen}"
            if select.select([self.master], [], [], 0.5)[0]:
                try:
                    self.seen += os.read(self.master, 4096).decode(errors="replace")
                except OSError:  # the child exited and closed the terminal
                    assert text in self.seen, f"waited for {text!r}; screen:\n{self.seen}"
        before, _, self.seen = self.seen.partition(text)
        return before + text

    def send(self, line: str) -> None:
        os.write(self.master, line.encode() + b"\r")

    def close(self) -> int:
        code = self.proc.wait(30)
        os.close(self.master)
        return code


def test_create_prompts_for_parameters_in_a_terminal(portal, served_cli, owner, org):
    _echo_template(owner, org)
    served_cli("login", portal, "--token", issue_token_for_tests(owner))
    term = Terminal([*CLEAN_PYTHON, str(served_cli.path), "create", "box", "-t", "dev"], served_cli.env)
    answers = {"region": ["2"], "cpu": ["99", "4"], "gpu": [""], "disk": [""], "project": ["", "core"]}
    try:
        while answers:
            screen = term.expect("> Enter a value")
            name = next(n for n in answers if f"\n{n}" in screen)
            if name == "region":
                assert "1. EU" in screen and "2. US" in screen
            for i, answer in enumerate(answers.pop(name)):
                if i:  # the previous answer was refused: the rule is said, the question asked again
                    refusal = term.expect("> Enter a value")
                    assert {"cpu": "Must be between 1 and 8.", "project": "A value is required."}[name] in refusal
                term.expect(": ")
                term.send(answer)
        term.expect("> Create workspace 'box' from template 'dev'? (yes/no) ")
        term.send("yes")
        term.expect("The box workspace has been created!")
    finally:
        code = term.close()
    assert code == 0
    build = Workspace.objects.get(name="box").builds.order_by("-build_number").first()
    assert {p.name: p.value for p in build.parameters.all()} == {
        "region": "us", "cpu": "4", "gpu": "false", "disk": "10", "project": "core"}


def test_workspace_settings_and_template_edit(portal, served_cli, owner, org):
    template = _echo_template(owner, org)
    cli = served_cli
    cli("login", portal, "--token", issue_token_for_tests(owner))
    cli("create", "box", "-t", "dev", "--parameter", "project=core", "-y")
    assert "is now box2" in cli("rename", "box", "box2", "-y").stdout
    assert "is now a favorite" in cli("favorite", "box2").stdout
    cli("autoupdate", "box2", "always")
    workspace = Workspace.objects.get(name="box2")
    assert workspace.automatic_updates == "always"
    assert cli("state", "pull", "box2").returncode == 0

    done = cli("templates", "edit", "dev", "--display-name", "Development", "--default-ttl", "2h")
    assert "Updated template" in done.stdout
    template.refresh_from_db()
    assert template.display_name == "Development" and template.default_ttl_ms == 2 * 3600 * 1000
    assert "nothing to change" in cli("templates", "edit", "dev", "--display-name", "Development").stdout
    cli("delete", "box2", "-y")
    refused = cli("templates", "versions", "archive", "dev", template.active_version.name, check=False)
    assert refused.returncode == 1 and refused.stderr.startswith("error: HTTP ")  # the active version stays
