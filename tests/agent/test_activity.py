"""Workspace activity (services/activity.py): last_used_at, Coder's deadline bump rules and
the throttle."""
from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone

from tests.agent.conftest import make_agent
from workspaces.models import Workspace, WorkspaceBuild
from workspaces.services import activity

pytestmark = pytest.mark.django_db


@pytest.fixture
def workspace(member, org):
    cache.clear()
    agent = make_agent(member, org, "tok-activity")
    return Workspace.objects.get(pk=agent.resource.build.workspace_id)


def _build(workspace) -> WorkspaceBuild:
    return WorkspaceBuild.objects.get(pk=workspace.latest_build_id)


def _set(workspace, **fields):
    WorkspaceBuild.objects.filter(pk=workspace.latest_build_id).update(**fields)


def test_bump_moves_the_deadline_later_and_sets_last_used(workspace):
    now = timezone.now()
    workspace.template.activity_bump_ms = 3_600_000
    workspace.template.save()
    _set(workspace, deadline=now + timedelta(minutes=10))
    assert activity.record_activity(workspace.pk, now=now)
    assert Workspace.objects.get(pk=workspace.pk).last_used_at == now
    assert _build(workspace).deadline == now + timedelta(hours=1)


def test_never_past_max_deadline_and_never_earlier(workspace):
    now = timezone.now()
    _set(workspace, deadline=now + timedelta(minutes=10), max_deadline=now + timedelta(minutes=30))
    activity.bump(workspace.pk, now=now)
    assert _build(workspace).deadline == now + timedelta(minutes=30)
    _set(workspace, deadline=now + timedelta(hours=5), max_deadline=None)
    activity.bump(workspace.pk, now=now)
    assert _build(workspace).deadline == now + timedelta(hours=5)


def test_no_bump_without_deadline_or_bump_or_when_stopped(workspace):
    now = timezone.now()
    activity.bump(workspace.pk, now=now)
    assert _build(workspace).deadline is None  # no deadline (no autostop): stays unset
    assert Workspace.objects.get(pk=workspace.pk).last_used_at == now
    _set(workspace, deadline=now + timedelta(minutes=1))
    workspace.template.activity_bump_ms = 0
    workspace.template.save()
    activity.bump(workspace.pk, now=now)
    assert _build(workspace).deadline == now + timedelta(minutes=1)
    workspace.template.activity_bump_ms = 3_600_000
    workspace.template.save()
    _set(workspace, transition="stop")
    activity.bump(workspace.pk, now=now)
    assert _build(workspace).deadline == now + timedelta(minutes=1)


def test_throttled_per_workspace(workspace):
    first = timezone.now()
    assert activity.record_activity(workspace.pk, now=first)
    assert not activity.record_activity(workspace.pk, now=first + timedelta(seconds=5))
    assert Workspace.objects.get(pk=workspace.pk).last_used_at == first
    cache.delete(activity._cache_key(workspace.pk))  # the throttle period passed
    assert activity.record_activity(workspace.pk, now=first + timedelta(seconds=90))
