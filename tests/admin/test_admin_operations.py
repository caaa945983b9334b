"""Admin writes go through services: they are authorized by the engine and audited."""
from __future__ import annotations

from django.urls import reverse

from accounts.models import APIKey, AuditLog, Group, Organization, OrganizationMember, Role, User
from accounts.models.users import UserStatus
from tests.factories import PASSWORD, UserFactory


def changelist(model):
    return reverse(f"admin:accounts_{model}_changelist")


def change(model, pk):
    return reverse(f"admin:accounts_{model}_change", args=[pk])


def user_form(user, **overrides):
    data = {"username": user.username, "email": user.email, "name": user.name, "avatar_url": user.avatar_url,
            "login_type": user.login_type, "site_roles": [r.pk for r in user.site_roles.all()]}
    data.update(overrides)
    return data


def test_owner_suspends_and_activates_with_audit(world, browser_for, owner, member):
    client = browser_for(owner)
    response = client.post(changelist("user"), {"action": "suspend_users", "_selected_action": [member.pk]})
    assert response.status_code == 302
    member.refresh_from_db()
    assert member.status == UserStatus.SUSPENDED
    entry = AuditLog.objects.filter(resource_type="user", resource_id=str(member.pk), action="write").get()
    assert entry.diff == {"status": {"old": "active", "new": "suspended", "secret": False}}
    assert entry.user == owner
    client.post(changelist("user"), {"action": "activate_users", "_selected_action": [member.pk]})
    member.refresh_from_db()
    assert member.status == UserStatus.ACTIVE


def test_owner_cannot_suspend_themselves(world, browser_for, owner):
    client = browser_for(owner)
    client.post(changelist("user"), {"action": "suspend_users", "_selected_action": [owner.pk]})
    owner.refresh_from_db()
    assert owner.status == UserStatus.ACTIVE


def test_member_cannot_suspend(world, browser_for, member, owner):
    client = browser_for(member)
    client.post(changelist("user"), {"action": "suspend_users", "_selected_action": [owner.pk]})
    owner.refresh_from_db()
    assert owner.status == UserStatus.ACTIVE
    assert client.post(change("user", owner.pk), user_form(owner, name="hacked")).status_code == 403


def test_site_roles_are_assigned_through_the_assign_rules(world, browser_for, owner, member):
    client = browser_for(owner)
    auditor = Role.objects.get(name="auditor", organization=None)
    response = client.post(change("user", member.pk), user_form(member, site_roles=[auditor.pk]))
    assert response.status_code == 302, response.content.decode()[:2000]
    assert list(member.site_roles.values_list("name", flat=True)) == ["auditor"]
    entry = AuditLog.objects.get(resource_type="user", resource_id=str(member.pk), action="write")
    assert entry.diff["roles"] == {"old": [], "new": ["auditor"], "secret": False}

    user_admin = UserFactory(username="uadmin", roles=["user-admin"])
    owner_role = Role.objects.get(name="owner", organization=None)
    response = browser_for(user_admin).post(change("user", member.pk), user_form(member, site_roles=[owner_role.pk]))
    assert response.status_code == 200  # the form comes back with an error
    assert "Not allowed to assign or revoke the role &#x27;owner&#x27;" in response.content.decode()
    assert not member.site_roles.filter(name="owner").exists()

    response = client.post(change("user", owner.pk), user_form(owner, site_roles=[]))
    assert "You cannot change your own roles." in response.content.decode()
    assert owner.site_roles.filter(name="owner").exists()


def test_password_hash_is_never_shown(world, browser_for, owner, member):
    html = browser_for(owner).get(change("user", member.pk)).content.decode()
    assert member.password not in html
    assert 'name="password' not in html


def test_owner_creates_a_user_through_the_service(world, browser_for, owner, org):
    response = browser_for(owner).post(reverse("admin:accounts_user_add"), {
        "username": "newbie", "email": "newbie@example.com", "name": "New", "login_type": "password",
        "password1": PASSWORD, "password2": PASSWORD})
    assert response.status_code == 302, response.content.decode()[:3000]
    user = User.objects.get(username="newbie")
    assert user.check_password(PASSWORD)
    assert OrganizationMember.objects.filter(user=user, organization=org).exists()
    assert AuditLog.objects.filter(resource_type="user", action="create", resource_id=str(user.pk)).exists()
    assert response["Location"] == changelist("user")


def test_user_add_form_reports_duplicates(world, browser_for, owner, member):
    response = browser_for(owner).post(reverse("admin:accounts_user_add"), {
        "username": member.username.upper(), "email": "x@example.com", "login_type": "password",
        "password1": PASSWORD, "password2": PASSWORD})
    assert response.status_code == 200
    assert "already in use" in response.content.decode()


def test_org_admin_edits_member_roles(world, browser_for, org_admin, member, org):
    membership = OrganizationMember.objects.get(user=member, organization=org)
    org_auditor = Role.objects.get(name="organization-auditor", organization=None)
    client = browser_for(org_admin)
    response = client.post(change("organizationmember", membership.pk), {"roles": [org_auditor.pk]})
    assert response.status_code == 302, response.content.decode()[:3000]
    assert list(membership.roles.values_list("name", flat=True)) == ["organization-auditor"]
    entry = AuditLog.objects.get(resource_type="organization_member", action="write")
    assert entry.organization == org and entry.diff["roles"]["new"] == ["organization-auditor"]


def test_member_cannot_edit_member_roles(world, browser_for, member, org_admin, org):
    membership = OrganizationMember.objects.get(user=org_admin, organization=org)
    response = browser_for(member).post(change("organizationmember", membership.pk), {"roles": []})
    assert response.status_code == 403
    assert membership.roles.filter(name="organization-admin").exists()


def test_org_admin_creates_group_with_members(world, browser_for, org_admin, member, org, outsider):
    client = browser_for(org_admin)
    response = client.post(reverse("admin:accounts_group_add"), {
        "organization": org.pk, "name": "builders", "display_name": "Builders", "avatar_url": "",
        "quota_allowance": 3, "members": [member.pk]})
    assert response.status_code == 302, response.content.decode()[:3000]
    group = Group.objects.get(organization=org, name="builders")
    assert list(group.auth_group.user_set.all()) == [member]
    assert AuditLog.objects.filter(resource_type="group", action="create", resource_id=str(group.pk)).exists()
    # Another organization is not among the choices.
    response = client.post(reverse("admin:accounts_group_add"), {
        "organization": outsider.memberships.get().organization_id, "name": "sneaky", "quota_allowance": 0})
    assert response.status_code == 200
    assert not Group.objects.filter(name="sneaky").exists()


def test_everyone_group_only_allowance_is_editable(world, browser_for, owner, member, org):
    everyone = Group.objects.get(id=org.id)
    client = browser_for(owner)
    assert client.get(change("group", everyone.pk)).status_code == 200
    response = client.post(change("group", everyone.pk), {"name": "renamed", "quota_allowance": 4})
    assert response.status_code == 302, response.content.decode()[:2000]
    everyone.refresh_from_db()
    assert everyone.name == "Everyone" and everyone.quota_allowance == 4
    assert browser_for(member).post(change("group", everyone.pk), {"quota_allowance": 9}).status_code == 403
    everyone.refresh_from_db()
    assert everyone.quota_allowance == 4


def test_builtin_roles_are_read_only_and_custom_roles_are_managed(world, browser_for, owner, org_admin, org):
    builtin = Role.objects.get(name="auditor", organization=None)
    client = browser_for(owner)
    assert client.post(change("role", builtin.pk), {"name": "x"}).status_code == 403
    response = browser_for(org_admin).post(reverse("admin:accounts_role_add"), {
        "organization": org.pk, "name": "viewer", "display_name": "Viewer",
        "organization_permissions": '[{"resource_type": "template", "action": "read", "negate": false}]',
        "user_permissions": "[]"})
    assert response.status_code == 302, response.content.decode()[:3000]
    role = Role.objects.get(organization=org, name="viewer")
    assert not role.builtin and role.is_org_role
    assert AuditLog.objects.filter(resource_type="custom_role", action="create").exists()


def test_api_key_list_hides_the_hash_and_delete_revokes(world, browser_for, member):
    key = APIKey.objects.get(user=member, token_name="a-token")
    client = browser_for(member)
    html = client.get(changelist("apikey")).content.decode() + client.get(change("apikey", key.pk)).content.decode()
    assert key.hashed_secret not in html and "a-token" in html
    response = client.post(reverse("admin:accounts_apikey_delete", args=[key.pk]), {"post": "yes"})
    assert response.status_code == 302
    assert not APIKey.objects.filter(pk=key.pk).exists()
    entry = AuditLog.objects.get(resource_type="api_key", action="delete")
    # Coder files API-key rows under the key's owner (a key id is not a UUID).
    assert entry.resource_id == str(member.pk) and entry.user == member


def test_audit_log_is_read_only_even_for_owners(world, browser_for, owner):
    entry = world["b_audit"]
    client = browser_for(owner)
    assert client.get(change("auditlog", entry.pk)).status_code == 200
    assert client.post(change("auditlog", entry.pk), {"action": "delete"}).status_code == 403
    assert client.post(reverse("admin:accounts_auditlog_delete", args=[entry.pk]), {"post": "yes"}).status_code == 403
    assert client.get(reverse("admin:accounts_auditlog_add")).status_code == 403
    assert AuditLog.objects.filter(pk=entry.pk).exists()


def test_auditor_reads_audit_log_member_does_not(world, browser_for, member):
    auditor = UserFactory(username="auditor", roles=["auditor"])
    response = browser_for(auditor).get(changelist("auditlog"))
    assert response.status_code == 200 and response.context["cl"].result_count == 2
    assert browser_for(member).get(changelist("auditlog")).status_code == 403


def test_owner_creates_organization_and_becomes_its_admin(world, browser_for, owner):
    response = browser_for(owner).post(reverse("admin:accounts_organization_add"), {
        "name": "org-c", "display_name": "Org C", "description": "", "icon": ""})
    assert response.status_code == 302, response.content.decode()[:3000]
    org_c = Organization.objects.get(name="org-c")
    assert OrganizationMember.objects.get(organization=org_c, user=owner).roles.filter(
        name="organization-admin").exists()
    assert Group.objects.filter(id=org_c.id).exists()


def test_org_admin_cannot_create_organizations(world, browser_for, org_admin):
    assert browser_for(org_admin).get(reverse("admin:accounts_organization_add")).status_code == 403


def test_default_organization_cannot_be_deleted(world, browser_for, owner, org):
    browser_for(owner).post(reverse("admin:accounts_organization_delete", args=[org.pk]), {"post": "yes"})
    assert Organization.objects.filter(pk=org.pk).exists()


def test_owner_deletes_user_softly(world, browser_for, owner, member):
    response = browser_for(owner).post(reverse("admin:accounts_user_delete", args=[member.pk]), {"post": "yes"})
    assert response.status_code == 302
    member.refresh_from_db()
    assert member.deleted and not member.api_keys.exists() and not member.memberships.exists()
    assert AuditLog.objects.filter(resource_type="user", action="delete", resource_id=str(member.pk)).exists()


def test_email_edit_is_audited_and_owners_are_protected(world, browser_for, owner, member):
    response = browser_for(owner).post(change("user", member.pk), user_form(member, email="new@example.com"))
    assert response.status_code == 302, response.content.decode()[:2000]
    member.refresh_from_db()
    assert member.email == "new@example.com"
    entry = AuditLog.objects.get(resource_type="user", action="write", resource_id=str(member.pk))
    assert entry.diff["email"]["new"] == "new@example.com"

    user_admin = UserFactory(username="uadmin", roles=["user-admin"])
    response = browser_for(user_admin).post(change("user", owner.pk), user_form(owner, email="mine@example.com"))
    assert response.status_code == 200
    assert "cannot modify a user with the &#x27;owner&#x27; role" in response.content.decode()
    owner.refresh_from_db()
    assert owner.email != "mine@example.com"
    # The refused attempt was a rolled-back dry run: no audit row, nothing changed.
    assert not AuditLog.objects.filter(user=user_admin).exists()


def test_bulk_delete_reports_refusals_and_audits_each(world, browser_for, org_admin, org):
    from tests.factories import GroupFactory

    doomed = [GroupFactory(organization=org, name=f"tmp-{n}") for n in range(2)]
    client = browser_for(org_admin)
    response = client.post(changelist("group"), {"action": "delete_selected", "post": "yes",
                                                 "_selected_action": [g.pk for g in doomed]})
    assert response.status_code == 302
    assert not Group.objects.filter(pk__in=[g.pk for g in doomed]).exists()
    assert AuditLog.objects.filter(resource_type="group", action="delete").count() == 2


def test_identity_provider_settings_are_owner_only_and_secret_is_write_only(world, browser_for, owner, org_admin):
    from allauth.socialaccount.models import SocialApp

    add = reverse("admin:socialaccount_socialapp_add")
    assert browser_for(org_admin).get(add).status_code == 403
    assert browser_for(org_admin).get(reverse("admin:socialaccount_socialapp_changelist")).status_code == 403
    client = browser_for(owner)
    response = client.post(add, {"provider": "openid_connect", "provider_id": "corp", "name": "Corp SSO",
                                 "client_id": "portal", "secret": "s3cr3t-value", "key": "",
                                 "settings": '{"server_url": "https://idp.example.com"}'})
    assert response.status_code == 302, response.content.decode()[:3000]
    app = SocialApp.objects.get(provider_id="corp")
    assert app.secret == "s3cr3t-value"
    url = reverse("admin:socialaccount_socialapp_change", args=[app.pk])
    assert "s3cr3t-value" not in client.get(url).content.decode()
    response = client.post(url, {"provider": "openid_connect", "provider_id": "corp", "name": "Corp SSO 2",
                                 "client_id": "portal", "secret": "", "key": "",
                                 "settings": '{"server_url": "https://idp.example.com"}'})
    assert response.status_code == 302
    app.refresh_from_db()
    assert app.name == "Corp SSO 2" and app.secret == "s3cr3t-value"
    entries = AuditLog.objects.filter(resource_type="socialapp").order_by("time")
    assert [e.action for e in entries] == ["create", "write"]
    assert entries[0].diff["secret"] == {"old": "", "new": "", "secret": True}
