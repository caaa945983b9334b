"""Coder's JSON shapes for workspaces, builds, resources and agents (plain functions)."""
