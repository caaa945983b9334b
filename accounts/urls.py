"""Browser routes of the accounts app (login page)."""
urlpatterns: list = []
