"""Authenticating workspace agents by their token: only sha256(token) is stored; an agent's
token survives stop/start builds, so the newest agent row holding the hash is the one."""
from __future__ import annotations

import hashlib
import hmac

from rest_framework import authentication, exceptions

from workspaces.models import WorkspaceAgent


class AgentIdentity:
    """`request.user` of agent-authenticated requests (never a person)."""

    is_authenticated = True
    is_active = True
    pk = None

    def __init__(self, agent: WorkspaceAgent):
        self.agent = agent


def agent_for_token(raw: str | None) -> WorkspaceAgent | None:
    if not raw:
        return None
    return agent_for_token_hash(hashlib.sha256(raw.encode()).hexdigest())


def agent_for_token_hash(digest: str) -> WorkspaceAgent | None:
    """The agent row of the newest build holding this token (see the module docstring)."""
    if not digest:
        return None
    agent = (WorkspaceAgent.objects.filter(auth_token_hash=digest, resource__build__workspace__deleted=False)
             .select_related("resource__build__workspace__owner")
             .order_by("-resource__build__build_number", "-created_at").first())
    if agent is None or not hmac.compare_digest(agent.auth_token_hash, digest):
        return None
    return agent


def token_from_headers(headers: dict) -> str | None:
    """Headers keyed lower-case; the agent sends `Coder-Session-Token` (or a bearer token)."""
    if headers.get("coder-session-token"):
        return headers["coder-session-token"].strip()
    auth = headers.get("authorization", "")
    return auth[7:].strip() if auth.lower().startswith("bearer ") else None


class AgentTokenAuthentication(authentication.BaseAuthentication):
    def authenticate(self, request):
        raw = token_from_headers({"coder-session-token": request.META.get("HTTP_CODER_SESSION_TOKEN", ""),
                                  "authorization": request.META.get("HTTP_AUTHORIZATION", "")})
        if not raw:
            return None
        agent = agent_for_token(raw)
        if agent is None:
            raise exceptions.AuthenticationFailed("Workspace agent not authorized.")
        return AgentIdentity(agent), agent

    def authenticate_header(self, request):
        return "Coder-Session-Token"
