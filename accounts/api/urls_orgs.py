"""Routes of the accounts API (orgs), mounted under /api/v2/."""
urlpatterns: list = []
