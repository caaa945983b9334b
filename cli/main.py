"""`coderportal` command line: global flags (Coder's `--url`, `--token`, `--global-config`),
the command tree (each group registers itself from its module) and one place that turns
failures into one `error: ...` line and a non-zero exit status.

Start-up time matters (scripts call the CLI in loops): only the module of the command being
run is imported and registered; `--help`, no command or an unknown one build the whole tree."""
from __future__ import annotations

import argparse
import importlib
import sys

from .client import APIError
from .config import CLIError

# module -> its top-level command names (aliases included), in `--help` order.
MODULES = {
    "auth": ("login", "logout", "whoami", "version"),
    "templates": ("templates", "template"),
    "workspaces": ("create", "list", "ls", "show", "start", "stop", "restart", "update", "delete", "rm", "logs"),
    "workspace_settings": ("rename", "favorite", "fav", "unfavorite", "unfav", "autoupdate", "state"),
    "schedule": ("schedule",),
    "ssh": ("ssh", "config-ssh", "port-forward"),
    "admin": ("tokens", "token", "users", "user", "organizations", "organization", "org", "orgs", "groups",
              "group", "provisioner", "provisioners"),
}
_GLOBAL_WITH_VALUE = ("--url", "--token", "--global-config")

VERSION = "2.0.0"


def _common() -> argparse.ArgumentParser:
    # SUPPRESS: a flag given before the command is not reset by the subcommand's default.
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--url", default=argparse.SUPPRESS, help="Portal URL (default: $CODER_URL, then the login).")
    common.add_argument("--token", default=argparse.SUPPRESS,
                        help="Session token (default: $CODER_SESSION_TOKEN, then the login).")
    common.add_argument("--global-config", default=argparse.SUPPRESS,
                        help="Config directory (default: $CODER_CONFIG_DIR or ~/.config/coderportal).")
    return common


class Tree:
    """Adds commands with the common flags, so `--help` and the global flags work everywhere."""

    def __init__(self, sub, common):
        self.sub, self.common = sub, common

    def command(self, name: str, func, help: str, aliases=()):
        parser = self.sub.add_parser(name, parents=[self.common], help=help, description=help,
                                     aliases=list(aliases))
        parser.set_defaults(func=func)
        return parser

    def group(self, name: str, help: str, aliases=()) -> Tree:
        parser = self.sub.add_parser(name, parents=[self.common], help=help, description=help,
                                     aliases=list(aliases))
        parser.set_defaults(func=lambda args: _usage(parser))
        return Tree(parser.add_subparsers(dest=f"{name}_command", metavar="<command>"), self.common)


def _usage(parser) -> int:
    parser.print_help(sys.stderr)
    return 2


def _modules_for(argv: list[str]) -> list[str]:
    """The modules to register for `argv`: the one owning its command, else all of them."""
    skip = False
    for word in argv:
        if skip:
            skip = False
        elif word in _GLOBAL_WITH_VALUE:
            skip = True
        elif not word.startswith("-"):
            return [m for m, names in MODULES.items() if word in names] or list(MODULES)
    return list(MODULES)


def build_parser(argv: list[str] | None = None) -> argparse.ArgumentParser:
    common = _common()
    parser = argparse.ArgumentParser(prog="coderportal", parents=[common],
                                     description="coderportal: workspaces, templates and SSH from the command "
                                                 "line (Coder's command names and flags).")
    parser.set_defaults(func=lambda args: _usage(parser))
    tree = Tree(parser.add_subparsers(dest="command", metavar="<command>"), common)
    for name in list(MODULES) if argv is None else _modules_for(argv):
        importlib.import_module(f".{name}", __package__).register(tree)
    p = tree.command("completion", completion, "Print a shell completion script (bash, zsh or fish).")
    p.add_argument("--shell", "-s", choices=["bash", "zsh", "fish"], default="bash")
    return parser


def completion(args) -> int:
    names = sorted(n for n in build_parser()._subparsers._group_actions[0].choices)  # noqa: SLF001
    words = " ".join(names)
    if args.shell == "fish":
        print(f"complete -c coderportal -f -n '__fish_use_subcommand' -a '{words}'")
    elif args.shell == "zsh":
        print(f"#compdef coderportal\n_arguments '1: :({words})' '*::arg:_files'")
    else:
        print(f'_coderportal() {{ [ "$COMP_CWORD" -eq 1 ] && COMPREPLY=($(compgen -W "{words}" -- '
              f'"${{COMP_WORDS[1]}}")); }}\ncomplete -o default -F _coderportal coderportal')
    return 0


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser(argv)
    args = parser.parse_args(argv)
    try:
        return args.func(args) or 0
    except CLIError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.status
    except APIError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        # Coder's Ctrl-C while following a build: detach, the build goes on.
        print("\nDetached; the operation continues on the server.", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
