"""Workspaces, builds, provisioner jobs, agents (arrive with the workspaces issue)."""
