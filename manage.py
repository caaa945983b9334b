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
    except Exception as exc:
        from coderportal.management.unmigrated import explain

        line = explain(exc)
        if line is None:
            raise
        sys.stderr.write(f"error: {line}\n")
        sys.exit(1)


if __name__ == "__main__":
    main()
