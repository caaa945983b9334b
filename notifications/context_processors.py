"""The unread inbox count shown in the admin header (one indexed count per admin page)."""
from notifications.services.inbox import unread_count


def inbox(request):
    if not request.path.startswith("/admin/"):
        return {}
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"inbox_unread_count": unread_count(user)}
