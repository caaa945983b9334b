"""`manage.py config_reference`: the configuration table of README.md, generated from the options."""
from __future__ import annotations

import re

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from coderportal import config
from coderportal.serve.options import SERVE_OPTIONS


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


README_BLOCK = re.compile(r"(<!-- config-reference:start -->\n).*?(<!-- config-reference:end -->)", re.S)


def render() -> str:
    """Markdown table of every option: environment variable, serve flag, kind, default, description."""
    lines = ["| Environment variable | `serve` flag | Kind | Default | Description |",
             "| --- | --- | --- | --- | --- |"]
    for option in [*config.OPTIONS.values(), *SERVE_OPTIONS]:
        if option.env == "CODER_DATA_DIR":
            default = "`~/.local/share/coderportal`"  # machine-dependent; show the rule, not this host
        else:
            default = f"`{option.default}`" if option.default else ""
        flag = f"`{option.flag}`" if option.flag else ""
        description = option.description + (" Secret: never shown by the API." if option.secret else "")
        lines.append(f"| `{option.env}` | {flag} | {option.kind.name} | {_cell(default)} | {_cell(description)} |")
    return "\n".join(lines) + "\n"


class Command(BaseCommand):
    help = "Print the configuration reference (Markdown) used in README.md."
    requires_system_checks = []  # documentation only: must work even while the URLconf is broken

    def add_arguments(self, parser):
        parser.add_argument("--update-readme", action="store_true", help="Rewrite the table inside README.md.")

    def handle(self, *args, update_readme=False, **options):
        if not update_readme:
            self.stdout.write(render(), ending="")
            return
        readme = settings.BASE_DIR / "README.md"
        text = readme.read_text()
        if not README_BLOCK.search(text):
            raise CommandError("README.md has no config-reference block")
        readme.write_text(README_BLOCK.sub(lambda m: m.group(1) + render() + m.group(2), text))
        self.stdout.write("README.md updated")
