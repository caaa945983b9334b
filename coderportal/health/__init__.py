"""The deployment health report (`GET /api/v2/debug/health`, admin page "Health").

`checks` has one function per section (Coder's sections that apply to this portal, and ours:
Celery broker, channel layer, scheduler, disk, Terraform); `report` runs them and rolls their
severities up; `beat` records when the scheduler last ran.
"""
