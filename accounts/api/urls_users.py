"""Routes of the accounts API (users), mounted under /api/v2/."""
urlpatterns: list = []
