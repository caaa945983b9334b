"""Errors services raise; the API layer turns them into Coder-style bodies."""
from __future__ import annotations


class ValidationFailed(Exception):
    """Bad input: HTTP 400 with per-field validations."""

    def __init__(self, message: str, validations: dict[str, str] | None = None, detail: str = ""):
        super().__init__(message)
        self.message = message
        self.detail = detail
        self.validations = validations or {}


class Conflict(Exception):
    """The request conflicts with current state (duplicate name, active build): HTTP 409."""

    def __init__(self, message: str, detail: str = "", validations: dict[str, str] | None = None):
        super().__init__(message)
        self.message = message
        self.detail = detail
        self.validations = validations or {}


class Unauthenticated(Exception):
    """Bad credentials: HTTP 401."""

    def __init__(self, message: str = "Incorrect login credentials.", detail: str = ""):
        super().__init__(message)
        self.message = message
        self.detail = detail
