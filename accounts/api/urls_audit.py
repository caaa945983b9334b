"""Routes of the accounts API (audit), mounted under /api/v2/."""
urlpatterns: list = []
