"""The engine on templates: a truth table, and `filter_queryset` agreeing with `can` for
Template and TemplateVersion rows carrying user and group ACL grants."""
from __future__ import annotations

import pytest

from accounts import rbac
from templates_app.models import Template, TemplateVersion
from templates_app.services import acl
from tests.factories import GroupFactory, UserFactory, add_member
from tests.templates_app.factories import TemplateFactory, TemplateVersionFactory

pytestmark = pytest.mark.django_db
ACTIONS = ("read", "use", "update", "delete", "create", "view_insights")


@pytest.fixture
def world(org, other_org, owner, org_admin, member, outsider):
    devs = GroupFactory(organization=org, name="devs")
    devs.auth_group.user_set.add(member)
    ops = GroupFactory(organization=other_org, name="ops")
    ops.auth_group.user_set.add(outsider)
    tpl_admin = UserFactory(username="tpl-admin")
    add_member(tpl_admin, org, roles=["organization-template-admin"])
    site_tpl_admin = UserFactory(username="site-tpl-admin", roles=["template-admin"])
    auditor = UserFactory(username="auditor", roles=["auditor"])
    acl_admin = UserFactory(username="acl-admin")
    add_member(acl_admin, org)

    public = TemplateFactory(organization=org, name="public")                  # Everyone: use
    private = TemplateFactory(organization=org, name="private", everyone=False)
    by_user = TemplateFactory(organization=org, name="by-user", everyone=False)
    acl.set_user_role(by_user, member.id, "use")
    acl.set_user_role(by_user, acl_admin.id, "admin")
    by_group = TemplateFactory(organization=org, name="by-group", everyone=False)
    acl.set_group_role(by_group, devs, "admin")
    foreign = TemplateFactory(organization=other_org, name="foreign")
    acl.set_group_role(foreign, ops, "use")
    for template in (public, private, by_user, by_group, foreign):
        TemplateVersionFactory(organization=template.organization, template=template)
    TemplateVersionFactory(organization=org)  # not attached to any template yet
    return {"tpl_admin": tpl_admin, "site_tpl_admin": site_tpl_admin, "auditor": auditor, "acl_admin": acl_admin,
            "templates": {t.name: t for t in (public, private, by_user, by_group, foreign)}}


@pytest.mark.parametrize("actor, action, template, allowed", [
    ("member", "read", "public", True),
    ("member", "use", "public", True),
    ("member", "update", "public", False),
    ("member", "read", "private", False),
    ("member", "use", "by-user", True),
    ("member", "update", "by-user", False),
    ("member", "update", "by-group", True),
    ("member", "delete", "by-group", True),
    ("member", "read", "foreign", False),
    ("acl_admin", "update", "by-user", True),
    ("acl_admin", "read", "private", False),  # an ACL on one template grants nothing on others
    ("org_admin", "delete", "private", True),
    ("org_admin", "read", "foreign", False),
    ("tpl_admin", "update", "private", True),
    ("tpl_admin", "read", "foreign", False),
    ("site_tpl_admin", "update", "foreign", True),
    ("auditor", "read", "private", True),
    ("auditor", "update", "private", False),
    ("outsider", "read", "public", False),
    ("outsider", "use", "foreign", True),
    ("owner", "delete", "foreign", True),
])
def test_template_truth_table(world, actors, actor, action, template, allowed):
    subjects = {**actors, **{k: rbac.subject_for(v) for k, v in world.items() if k != "templates"}}
    assert rbac.can(subjects[actor], action, world["templates"][template]) is allowed


@pytest.mark.parametrize("model", [Template, TemplateVersion])
def test_filter_queryset_agrees_with_can(world, actors, model):
    subjects = {**actors, **{k: rbac.subject_for(v) for k, v in world.items() if k != "templates"}}
    objects = list(model.objects.all())
    assert len(objects) >= 5
    for name, subject in subjects.items():
        for action in ACTIONS:
            filtered = set(rbac.filter_queryset(subject, action, model.objects.all()).values_list("pk", flat=True))
            expected = {o.pk for o in objects if rbac.can(subject, action, o)}
            assert filtered == expected, (name, action, model.__name__)


def test_acl_changes_reach_both_paths(world, member):
    private = world["templates"]["private"]
    subject = rbac.subject_for(member)
    assert not rbac.can(subject, "read", private)
    acl.set_user_role(private, member.id, "use")
    assert rbac.can(subject, "read", private)
    assert rbac.filter_queryset(subject, "read", Template.objects.filter(pk=private.pk)).exists()
    acl.set_user_role(private, member.id, "")
    assert not rbac.can(subject, "read", private)
    assert not rbac.filter_queryset(subject, "read", Template.objects.filter(pk=private.pk)).exists()
