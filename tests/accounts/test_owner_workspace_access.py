"""CODER_DISABLE_OWNER_WORKSPACE_ACCESS: site owners lose ssh/application_connect on other
users' workspaces, keep everything else on them, and keep full access to their own."""
from __future__ import annotations

import pytest

from accounts import rbac
from tests.agent.conftest import make_agent
from workspaces.models import Workspace

pytestmark = pytest.mark.django_db

CONNECT = (rbac.Action.SSH, rbac.Action.APPLICATION_CONNECT)


@pytest.fixture
def workspaces(owner, member, org):
    theirs = make_agent(member, org, "tok-theirs").resource.build.workspace
    own = make_agent(owner, org, "tok-own").resource.build.workspace
    return Workspace.objects.get(pk=theirs.pk), Workspace.objects.get(pk=own.pk)


def test_by_default_owners_connect_to_every_workspace(workspaces, owner, member, org_admin):
    theirs, own = workspaces
    for action in CONNECT:
        assert rbac.can(rbac.subject_for(owner), action, theirs)
        assert rbac.can(rbac.subject_for(owner), action, own)
        assert rbac.can(rbac.subject_for(member), action, theirs)
        assert not rbac.can(rbac.subject_for(org_admin), action, theirs)


def test_switch_removes_connect_on_others_workspaces_only(workspaces, owner, member, monkeypatch):
    monkeypatch.setenv("CODER_DISABLE_OWNER_WORKSPACE_ACCESS", "true")
    theirs, own = workspaces
    subject = rbac.subject_for(owner)
    for action in CONNECT:
        assert not rbac.can(subject, action, theirs)
        with pytest.raises(rbac.Forbidden):  # still readable: 403, not 404
            rbac.authorize(subject, action, theirs)
        assert rbac.can(subject, action, own)  # the higher level did not deny the owner's own
        assert rbac.can(rbac.subject_for(member), action, theirs)
    for action in ("read", "update", "start", "stop", "delete"):
        assert rbac.can(subject, action, theirs)
    # Everything else the owner role grants stays.
    assert rbac.can_any(subject, "update", "deployment_config")
    assert rbac.can_any(subject, "create", "template")
    # Listing: the owner still sees the workspace but may not connect to it.
    assert theirs in rbac.filter_queryset(subject, "read", Workspace.objects.all())
    assert theirs not in rbac.filter_queryset(subject, rbac.Action.SSH, Workspace.objects.all())


def test_switch_applies_to_the_terminal_page(workspaces, owner, monkeypatch, client):
    theirs, own = workspaces
    client.force_login(owner)
    assert client.get(f"/@member/{theirs.name}/terminal").status_code == 200
    monkeypatch.setenv("CODER_DISABLE_OWNER_WORKSPACE_ACCESS", "true")
    assert client.get(f"/@member/{theirs.name}/terminal").status_code == 403
    assert client.get(f"/@owner/{own.name}/terminal").status_code == 200
