"""Files both ways with real OpenSSH `scp` (which speaks SFTP) and `sftp -b` through the
relay to the agent's SFTP subsystem."""
from __future__ import annotations

import os
import subprocess

import pytest

from accounts.services.tokens import issue_token_for_tests
from tests.agent.test_ssh_cli import cli, workspace_agent  # noqa: F401 - fixtures

pytestmark = pytest.mark.timeout(180)


@pytest.fixture
def ssh_config(portal, workspace_agent, member, cli, tmp_path):  # noqa: F811
    cli("login", portal, "--token", issue_token_for_tests(member))
    config = tmp_path / "ssh_config"
    cli("config-ssh", "--ssh-config-file", str(config))
    return config, f"coder.{workspace_agent.resource.build.workspace.name}"


def test_scp_both_ways(ssh_config, cli, tmp_path):  # noqa: F811
    config, host = ssh_config
    local = tmp_path / "local"
    local.mkdir()
    payload = os.urandom(3 * 1024 * 1024 + 17)
    (local / "up.bin").write_bytes(payload)
    # Up: a relative remote path lands in the agent's directory (tmp_path here).
    cli("ssh-raw", "scp", "-F", str(config), str(local / "up.bin"), f"{host}:uploaded.bin")
    assert (tmp_path / "uploaded.bin").read_bytes() == payload
    # Down, by absolute path.
    (tmp_path / "remote.txt").write_text("from the workspace\n")
    cli("ssh-raw", "scp", "-F", str(config), f"{host}:{tmp_path / 'remote.txt'}", str(local / "down.txt"))
    assert (local / "down.txt").read_text() == "from the workspace\n"
    # A missing remote file is an error, not an empty file.
    missing = cli("ssh-raw", "scp", "-F", str(config), f"{host}:nope.txt", str(local / "nope.txt"), check=False)
    assert missing.returncode != 0 and not (local / "nope.txt").exists()


def test_scp_recursive(ssh_config, cli, tmp_path):  # noqa: F811
    config, host = ssh_config
    tree = tmp_path / "tree"
    (tree / "sub").mkdir(parents=True)
    (tree / "a.txt").write_text("a")
    (tree / "sub" / "b.txt").write_text("b")
    cli("ssh-raw", "scp", "-r", "-F", str(config), str(tree), f"{host}:copied")
    assert (tmp_path / "copied" / "sub" / "b.txt").read_text() == "b"


def test_sftp_batch(ssh_config, cli, tmp_path):  # noqa: F811
    config, host = ssh_config
    (tmp_path / "put-me.txt").write_text("put\n")
    batch = tmp_path / "batch"
    batch.write_text(f"mkdir dir1\nput {tmp_path / 'put-me.txt'} dir1/put.txt\nls dir1\n"
                     f"rename dir1/put.txt dir1/moved.txt\nget dir1/moved.txt {tmp_path / 'got.txt'}\n"
                     "rm dir1/moved.txt\nrmdir dir1\npwd\n")
    done = subprocess.run(["sftp", "-F", str(config), "-b", str(batch), host], capture_output=True, text=True,
                          env=cli.env, timeout=60, stdin=subprocess.DEVNULL)
    assert done.returncode == 0, done.stderr
    assert "put.txt" in done.stdout and f"Remote working directory: {tmp_path}" in done.stdout
    assert (tmp_path / "got.txt").read_text() == "put\n"
    assert not (tmp_path / "dir1").exists()
