"""Routes of the accounts API (organizations, members, roles, groups, authcheck), mounted under /api/v2/."""
from django.urls import path

from accounts.api import authcheck, groups, members, organizations, roles

org = "organizations/<str:organization>"

urlpatterns: list = [
    path("organizations", organizations.OrganizationsView.as_view()),
    path(org, organizations.OrganizationView.as_view()),
    path(f"{org}/members", members.MembersView.as_view()),
    path(f"{org}/paginated-members", members.PaginatedMembersView.as_view()),
    # `roles` routes come before `{user}` routes: "roles" is not a username here, as in Coder.
    path(f"{org}/members/roles", roles.OrganizationRolesView.as_view()),
    path(f"{org}/members/roles/<str:roleName>", roles.OrganizationRoleView.as_view()),
    path(f"{org}/members/<str:user>", members.MemberView.as_view()),
    path(f"{org}/members/<str:user>/roles", members.MemberRolesView.as_view()),
    path(f"{org}/groups", groups.OrganizationGroupsView.as_view()),
    path(f"{org}/groups/<str:groupName>", groups.OrganizationGroupView.as_view()),
    path("groups", groups.GroupsView.as_view()),
    path("groups/<str:group>", groups.GroupView.as_view()),
    path("authcheck", authcheck.AuthCheckView.as_view()),
]
