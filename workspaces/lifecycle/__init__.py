"""Workspace lifecycle automation: schedule math (autostart, deadlines, quiet hours), the
executor that autostarts, autostops, cleans up failures, marks dormancy and auto-deletes,
and the periodic tasks that drive it. Coder's rules unless a module says otherwise."""
