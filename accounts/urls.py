"""Browser routes of the accounts app (login page)."""
from django.urls import path

from accounts import views_login

urlpatterns: list = [
    path("login", views_login.login_page, name="portal-login"),
    path("logout", views_login.logout_page, name="portal-logout"),
]
