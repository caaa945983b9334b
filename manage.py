#!/usr/bin/env python
"""Django's command-line utility for coderportal."""
import os
import sys


def main():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "coderportal.settings")
    from django.core.management import execute_from_command_line

    from coderportal.config import ConfigError

    try:
        execute_from_command_line(sys.argv)
    except ConfigError as exc:  # a bad option value: one line per variable, no traceback
        for line in str(exc).splitlines():
            sys.stderr.write(f"configuration error: {line}\n")
        sys.exit(2)


if __name__ == "__main__":
    main()
