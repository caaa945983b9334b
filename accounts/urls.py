"""Browser routes of the accounts app (login page, the CLI's token page)."""
from django.urls import path

from accounts import views_cli_auth, views_login

urlpatterns: list = [
    path("login", views_login.login_page, name="portal-login"),
    path("logout", views_login.logout_page, name="portal-logout"),
    path("cli-auth", views_cli_auth.cli_auth, name="cli-auth"),
]
