"""The workspace agent, Django-free: runs inside a workspace and connects back to the portal."""

# Reported to the portal at startup (the agent JSON's `version` / `api_version`).
VERSION = "v2.0.0"
API_VERSION = "2.0"
