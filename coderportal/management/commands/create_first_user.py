"""`manage.py create_first_user`: non-interactive bootstrap of the first (owner) user."""
from __future__ import annotations

import os
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from accounts.services.errors import Conflict, ValidationFailed


class Command(BaseCommand):
    help = ("Create the first user (site owner). The password comes from --password-file, "
            "--password or CODER_FIRST_USER_PASSWORD.")

    def add_arguments(self, parser):
        parser.add_argument("--username", required=True)
        parser.add_argument("--email", required=True)
        parser.add_argument("--name", default="")
        secret = parser.add_mutually_exclusive_group()
        secret.add_argument("--password-file", help="File whose first line is the password ('-' reads stdin).")
        secret.add_argument("--password", help="Visible in the process list; prefer --password-file or the env.")

    def handle(self, *args, username, email, name, password_file, password, **_):
        from accounts.services.users import create_first_user

        password = self._password(password_file, password)
        try:
            user, organization = create_first_user(username=username, email=email, password=password, name=name)
        except Conflict as exc:
            raise CommandError(exc.message) from exc
        except ValidationFailed as exc:
            fields = "; ".join(f"{field}: {detail}" for field, detail in exc.validations.items())
            raise CommandError(f"{exc.message} {fields}".strip()) from exc
        self.stdout.write(f"Created first user {user.username} ({user.id}), owner, "
                          f"member of organization {organization.name}.")

    @staticmethod
    def _password(password_file: str | None, password: str | None) -> str:
        if password_file == "-":
            value = sys.stdin.readline()
        elif password_file:
            path = Path(password_file)
            if not path.is_file():
                raise CommandError(f"password file {password_file} does not exist")
            lines = path.read_text().splitlines()
            value = lines[0] if lines else ""
        else:
            value = password if password is not None else os.environ.get("CODER_FIRST_USER_PASSWORD", "")
        value = value.rstrip("\r\n")
        if not value:
            raise CommandError("a password is required: --password-file, --password or CODER_FIRST_USER_PASSWORD")
        return value
