"""Shared pieces of the Coder-dialect REST API: authentication, errors, throttles, base view."""
