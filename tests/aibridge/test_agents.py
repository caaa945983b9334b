"""Real coding agents through the bridge, as users run them in workspaces: Claude Code
(`claude -p`) and Codex (`codex exec`), installed from npm by scripts/install-ai-agents, run
offline against the fake upstream with exactly the configuration docs/aibridge.md shows."""
from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from accounts.services.tokens import issue_token_for_tests
from aibridge.models import Interception, TokenUsage, UserPrompt
from tests.aibridge import fixtures
from tests.aibridge.conftest import ANTHROPIC_UPSTREAM_KEY, OPENAI_UPSTREAM_KEY, wait_for
from tests.factories import UserFactory

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.timeout(600)


@pytest.fixture(scope="session")
def agents_bin() -> Path:
    done = subprocess.run([str(ROOT / "scripts" / "install-ai-agents")], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    return Path(done.stdout.strip().splitlines()[-1])


@pytest.fixture
def token(transactional_db):
    return issue_token_for_tests(UserFactory(username="dev"))


def offline_env(home: Path) -> dict:
    # Only what the agents need: no inherited credentials or proxies, no telemetry or updates.
    import os

    return {"PATH": os.environ["PATH"], "HOME": str(home), "LANG": "C.UTF-8", "CI": "1",
            "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1", "DISABLE_AUTOUPDATER": "1", "DISABLE_TELEMETRY": "1"}


def test_claude_code_finishes_through_the_bridge(serve_portal, upstream, agents_bin, token, tmp_path):
    portal = serve_portal()
    home = tmp_path / "home"
    home.mkdir()
    env = {**offline_env(home), "ANTHROPIC_BASE_URL": f"{portal.url}/api/v2/aibridge/anthropic",
           "ANTHROPIC_API_KEY": token, "ANTHROPIC_MODEL": "agent-claude", "ANTHROPIC_SMALL_FAST_MODEL": "agent-haiku"}
    done = subprocess.run([str(agents_bin / "claude"), "-p", "read the foo file"], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert fixtures.AGENT_ANSWER in done.stdout
    interception = wait_for(lambda: Interception.objects.filter(ended_at__isnull=False, model="agent-claude").first())
    assert interception.provider == "anthropic"
    assert UserPrompt.objects.filter(interception_id=interception.id).get().prompt.endswith("read the foo file")
    assert TokenUsage.objects.filter(interception_id=interception.id).count() == 2
    for request in upstream.bridged():
        assert request["headers"]["x-api-key"] == ANTHROPIC_UPSTREAM_KEY
        assert request["headers"]["user-agent"].startswith("claude-cli/")
        assert token not in str(request["headers"])


def test_codex_finishes_through_the_bridge(serve_portal, upstream, agents_bin, token, tmp_path):
    portal = serve_portal()
    home = tmp_path / "home"
    codex_home = home / ".codex"
    codex_home.mkdir(parents=True)
    # The provider block of docs/aibridge.md, with this portal's URL.
    (codex_home / "config.toml").write_text(f'''model = "agent-codex"
model_provider = "coderportal"

[model_providers.coderportal]
name = "coderportal AI Bridge"
base_url = "{portal.url}/api/v2/aibridge/openai/v1"
env_key = "CODERPORTAL_TOKEN"
wire_api = "responses"
''')
    env = {**offline_env(home), "CODEX_HOME": str(codex_home), "CODERPORTAL_TOKEN": token}
    done = subprocess.run([str(agents_bin / "codex"), "exec", "--skip-git-repo-check", "read the foo file"],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert fixtures.AGENT_ANSWER in done.stdout
    interception = wait_for(lambda: Interception.objects.filter(ended_at__isnull=False, model="agent-codex").first())
    assert interception.provider == "openai"
    assert UserPrompt.objects.filter(interception_id=interception.id).get().prompt == "read the foo file"
    usage = TokenUsage.objects.get(interception_id=interception.id)
    assert (usage.input_tokens, usage.output_tokens) == (60, 20)
    for request in upstream.bridged():
        assert request["path"] == "/v1/responses"
        assert request["headers"]["authorization"] == f"Bearer {OPENAI_UPSTREAM_KEY}"
        assert token not in str(request["headers"])
