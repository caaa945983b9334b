"""Coder's system notification templates (ids and titles as in Coder's migrations), as data.

Placeholders are `$label` (string.Template): labels are text, never evaluated. Migration 0002
loads them; `sync()` re-creates any that are missing after every `migrate` (and after a test
database flush), without touching what an admin changed on existing rows (method, format).
"""
from __future__ import annotations

W, U, T, N = "Workspace Events", "User Events", "Template Events", "Notification Events"
TEMPLATES = [
    ("381df2a9-c0c0-4749-420f-80a9280c66f9", "Workspace Autobuild Failed", W,
     'Workspace "$name" autobuild failed',
     'Hi $user_name,\n\nAutomatic build of your workspace **$name** failed.\n\nThe specified reason was "**$reason**".',
     [{"label": "View workspace", "url": "$access_url/@$user_username/$name"}]),
    ("f517da0b-cdc9-410f-ab89-a86107c420ed", "Workspace Deleted", W,
     'Workspace "$name" deleted',
     'Hi $user_name,\n\nYour workspace **$name** was deleted.\n\nThe specified reason was "**$reason ($initiator)**".',
     [{"label": "View workspaces", "url": "$access_url/workspaces"}]),
    ("0ea69165-ec14-4314-91f1-69566ac3c5a0", "Workspace Marked as Dormant", W,
     'Workspace "$name" marked as dormant',
     'Hi $user_name,\n\nYour workspace **$name** has been marked as **dormant** because of $reason.\n'
     'Dormant workspaces are automatically deleted after $timeTilDelete of inactivity.',
     [{"label": "View workspace", "url": "$access_url/@$user_username/$name"}]),
    ("51ce2fdf-c9ca-4be1-8d70-628674f9bc42", "Workspace Marked for Deletion", W,
     'Workspace "$name" marked for deletion',
     'Hi $user_name,\n\nYour workspace **$name** has been marked for **deletion** after $timeTilDormant of '
     'dormancy because of $reason.',
     [{"label": "View workspace", "url": "$access_url/@$user_username/$name"}]),
    ("6f6cb984-c167-4fa5-bb87-1058dd642779", "Workspace Autostop Reminder", W,
     'Workspace "$workspace" is going to shut down in $timeTilShutdown',
     'Hi $user_name,\n\nYour workspace **$workspace** will be automatically stopped in $timeTilShutdown.',
     [{"label": "View workspace", "url": "$access_url/@$user_username/$workspace"}]),
    ("d089fe7b-d5c5-4c0c-aaf5-689859f7d392", "Workspace Manually Updated", W,
     'Workspace "$workspace" has been manually updated',
     'Hi $user_name,\n\nA new workspace build has been manually created for your workspace **$workspace** by '
     '**$initiator** to update it to version **$version** of template **$template**.',
     [{"label": "View workspace", "url": "$access_url/@$user_username/$workspace"}]),
    ("2faeee0f-26cb-4e96-821c-85ccb9f71513", "Workspace Manual Build Failed", W,
     'Workspace "$name" manual build failed',
     'Hi $user_name,\n\nA manual build of the workspace **$name** using the template **$template_name** failed '
     '(version: **$template_version_name**).\nThe workspace build was initiated by **$initiator**.',
     [{"label": "View build", "url": "$access_url/@$workspace_owner_username/$name"}]),
    ("c34a0c09-0704-4cac-bd1c-0c0146811c2b", "Workspace Updated Automatically", W,
     'Workspace "$name" updated automatically',
     'Hi $user_name,\n\nYour workspace **$name** has been updated automatically to the latest template version '
     '($template_version_name).',
     [{"label": "View workspace", "url": "$access_url/@$user_username/$name"}]),
    ("281fdf73-c6d6-4cbb-8ff5-888baf8a2fff", "Workspace Created", W,
     'Workspace "$workspace" has been created',
     'Hi $user_name,\n\nThe workspace **$workspace** has been created from the template **$template** using '
     'version **$version**.',
     [{"label": "View workspace", "url": "$access_url/@$user_username/$workspace"}]),
    ("a9d027b4-ac49-4fb1-9f6d-45af15f64e7a", "Workspace Out Of Memory", W,
     'Your workspace "$workspace" is low on memory',
     'Hi $user_name,\n\nYour workspace **$workspace** has reached the memory usage threshold set at '
     '**$threshold**.', [{"label": "View workspace", "url": "$access_url/@$user_username/$workspace"}]),
    ("f047f6a3-5713-40f7-85aa-0394cce9fa3a", "Workspace Out Of Disk", W,
     'Your workspace "$workspace" is low on volume space',
     'Hi $user_name,\n\nVolume **$volume** of your workspace **$workspace** has reached the usage threshold set '
     'at **$threshold**.', [{"label": "View workspace", "url": "$access_url/@$user_username/$workspace"}]),
    ("4e19c0ac-94e1-4532-9515-d1801aa283b2", "User account created", U,
     'User account "$created_account_name" created',
     'Hi $user_name,\n\nNew user account **$created_account_name** has been created.\n\n'
     'This new user account was created by **$initiator**.',
     [{"label": "View accounts", "url": "$access_url/deployment/users?filter=status%3Aactive"}]),
    ("f44d9314-ad03-4bc8-95d0-5cad491da6b6", "User account deleted", U,
     'User account "$deleted_account_name" deleted',
     'Hi $user_name,\n\nUser account **$deleted_account_name** has been deleted.\n\n'
     'The deleted account was deleted by **$initiator**.',
     [{"label": "View accounts", "url": "$access_url/deployment/users?filter=status%3Aactive"}]),
    ("b02ddd82-4733-4d02-a2d7-c36f3598997d", "User account suspended", U,
     'User account "$suspended_account_name" suspended',
     'Hi $user_name,\n\nUser account **$suspended_account_name** has been suspended.\n\n'
     'The account was suspended by **$initiator**.',
     [{"label": "View suspended accounts", "url": "$access_url/deployment/users?filter=status%3Asuspended"}]),
    ("9f5af851-8408-4e73-a7a1-c6502ba46689", "User account activated", U,
     'User account "$activated_account_name" activated',
     'Hi $user_name,\n\nUser account **$activated_account_name** has been activated.\n\n'
     'The account was activated by **$initiator**.',
     [{"label": "View accounts", "url": "$access_url/deployment/users?filter=status%3Aactive"}]),
    ("6a2f0609-9b69-4d36-a989-9f5925b6cbff", "Your account has been suspended", U,
     "Your account has been suspended",
     "Hi $user_name,\n\n**Your** account has been suspended by **$initiator**.", []),
    ("1a6a6bea-ee0a-43e2-9e7c-eabdb53730e4", "Your account has been activated", U,
     "Your account has been activated",
     "Hi $user_name,\n\n**Your** account has been activated by **$initiator**.",
     [{"label": "Open Coder", "url": "$access_url"}]),
    ("29a09665-2a4c-403f-9648-54301670e7be", "Template Deleted", T,
     'Template "$name" deleted',
     'Hi $user_name,\n\nThe template **$name** was deleted by **$initiator**.',
     [{"label": "View templates", "url": "$access_url/templates"}]),
    ("f40fae84-55a2-42cd-99fa-b41c1ca64894", "Template Deprecated", T,
     'Template "$template" has been deprecated',
     'Hello $user_name,\n\nThe template **$template** has been deprecated with the following message:\n\n'
     '**$message**\n\nNew workspaces may not be created from this template. Existing workspaces will continue '
     'to function normally.',
     [{"label": "See affected workspaces", "url": "$access_url/workspaces?filter=owner%3Ame+template%3A$template"},
      {"label": "View template", "url": "$access_url/templates/$organization/$template"}]),
    ("c425f63e-716a-4bf4-ae24-78348f706c3f", "Troubleshooting Notification", N,
     "A test notification",
     "Hi $user_name,\n\nThis is a test notification.",
     [{"label": "View notification settings", "url": "$access_url/deployment/notifications?tab=settings"}]),
]



def sync(template_model) -> None:
    """Create the system templates that do not exist (by id)."""
    existing = set(template_model.objects.values_list("id", flat=True))
    missing = [t for t in TEMPLATES if t[0] not in {str(i) for i in existing}]
    template_model.objects.bulk_create([
        template_model(id=tid, name=name, group=group, title_template=title, body_template=body, actions=actions)
        for tid, name, group, title, body, actions in missing])
