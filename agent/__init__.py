"""The workspace agent, Django-free: runs inside a workspace and connects back to the portal."""
