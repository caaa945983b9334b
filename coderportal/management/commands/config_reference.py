"""`manage.py config_reference`: the configuration table of README.md, generated from the options."""
from __future__ import annotations

from django.core.management.base import BaseCommand

from coderportal import config
from coderportal.serve.options import SERVE_OPTIONS


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def render() -> str:
    """Markdown table of every option: environment variable, serve flag, default, description."""
    lines = ["| Environment variable | `serve` flag | Default | Description |", "| --- | --- | --- | --- |"]
    for option in [*config.OPTIONS.values(), *SERVE_OPTIONS]:
        if option.env == "CODER_DATA_DIR":
            default = "`~/.local/share/coderportal`"  # machine-dependent; show the rule, not this host
        else:
            default = f"`{option.default}`" if option.default else ""
        flag = f"`{option.flag}`" if option.flag else ""
        description = option.description + (" Secret: never shown by the API." if option.secret else "")
        lines.append(f"| `{option.env}` | {flag} | {_cell(default)} | {_cell(description)} |")
    return "\n".join(lines) + "\n"


class Command(BaseCommand):
    help = "Print the configuration reference (Markdown) used in README.md."

    def handle(self, *args, **options):
        self.stdout.write(render(), ending="")
