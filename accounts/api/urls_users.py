"""Routes of the accounts API (users, authentication, API keys), mounted under /api/v2/.
Fixed paths come before `{user}` patterns so that `users/first` is never read as a username."""
from django.urls import path

from accounts.api import auth, tokens, users

urlpatterns: list = [
    path("users/first", auth.FirstUserView.as_view()),
    path("users/login", auth.LoginView.as_view()),
    path("users/logout", auth.LogoutView.as_view()),
    path("users/authmethods", auth.AuthMethodsView.as_view()),
    path("users/roles", users.SiteRolesView.as_view()),
    path("users", users.UsersView.as_view()),
    path("users/<str:user>", users.UserView.as_view()),
    path("users/<str:user>/profile", users.UserProfileView.as_view()),
    path("users/<str:user>/status/suspend", users.SuspendUserView.as_view()),
    path("users/<str:user>/status/activate", users.UserStatusView.as_view()),
    path("users/<str:user>/password", users.UserPasswordView.as_view()),
    path("users/<str:user>/login-type", users.UserLoginTypeView.as_view()),
    path("users/<str:user>/roles", users.UserRolesView.as_view()),
    path("users/<str:user>/organizations", users.UserOrganizationsView.as_view()),
    path("users/<str:user>/organizations/<str:organizationname>", users.UserOrganizationByNameView.as_view()),
    path("users/<str:user>/keys", tokens.SessionKeysView.as_view()),
    path("users/<str:user>/keys/tokens", tokens.TokensView.as_view()),
    path("users/<str:user>/keys/tokens/tokenconfig", tokens.TokenConfigView.as_view()),
    path("users/<str:user>/keys/tokens/<str:keyname>", tokens.TokenByNameView.as_view()),
    path("users/<str:user>/keys/<str:keyid>", tokens.KeyView.as_view()),
    path("users/<str:user>/keys/<str:keyid>/expire", tokens.ExpireKeyView.as_view()),
]
