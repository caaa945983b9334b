"""The workspaces REST API in Coder's /api/v2 dialect: workspaces, builds, agents."""
