"""Workspace services: creating and changing workspaces, requesting builds, parameter rules."""
