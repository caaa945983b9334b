"""Routes of the accounts API, mounted under /api/v2/."""
urlpatterns: list = []
