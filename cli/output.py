"""`-o table|json` and `--column` for list commands (Coder's output flags): a table is a
list of (header, getter) columns over the API objects; JSON prints the objects as they are."""
from __future__ import annotations

import json
import sys

from .config import CLIError


def add_flags(parser, columns: list[str], default: list[str] | None = None) -> None:
    parser.add_argument("-o", "--output", choices=["table", "json"], default="table", help="Output format.")
    parser.add_argument("-c", "--column", action="append", default=[],
                        help=f"Columns to show (repeatable or comma-separated): {', '.join(columns)}. "
                             f"Default: {', '.join(default or columns)}.")
    parser.set_defaults(_columns=columns, _default_columns=default or columns)


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, dict)):
        return json.dumps(value)
    return str(value)


def render(args, objects, table) -> None:
    """`table` maps a column name to a function of one object."""
    if args.output == "json":
        print(json.dumps(objects, indent=2))
        return
    chosen = [c.strip().lower() for spec in args.column for c in spec.split(",") if c.strip()]
    chosen = chosen or args._default_columns
    unknown = [c for c in chosen if c not in table]
    if unknown:
        raise CLIError(f"unknown column {unknown[0]!r}; choose from {', '.join(table)}")
    rows = [[c.upper() for c in chosen]] + [[_text(table[c](o)) for c in chosen] for o in objects]
    widths = [max(len(r[i]) for r in rows) for i in range(len(chosen))]
    for row in rows:
        sys.stdout.write("  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() + "\n")


def confirm(args, question: str) -> None:
    """Coder's `-y/--yes`: ask on a terminal, refuse without one."""
    if getattr(args, "yes", False):
        return
    if not sys.stdin.isatty():
        raise CLIError(f"{question} Refusing without a terminal; pass --yes to confirm.")
    answer = input(f"> {question} (yes/no) ").strip().lower()
    if answer not in ("y", "yes"):
        raise CLIError("Aborted.")
