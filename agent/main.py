"""Command line of the single-file agent: `agent` runs the workspace agent. The user commands
live in the `coderportal` CLI (the `cli` package, served as `/bin/coderportal`)."""
from __future__ import annotations

import argparse
import os
import sys


def seconds(value) -> float:
    """`90`, `90s`, `5m` or `1h` as seconds (positive)."""
    text = str(value).strip().lower()
    factor = {"s": 1, "m": 60, "h": 3600}.get(text[-1:], None)
    try:
        number = float(text[:-1] if factor else text) * (factor or 1)
    except ValueError:
        raise ValueError(f"{value!r} is not a duration (like 90, 90s, 5m)") from None
    if not number > 0:
        raise ValueError(f"{value!r} must be more than zero")
    return number


def _agent(args) -> int:
    from .runner import DEFAULT_SHUTDOWN_TIMEOUT, Agent

    url = args.url or os.environ.get("CODER_AGENT_URL", "")
    token = os.environ.get("CODER_AGENT_TOKEN", "")
    token_file = os.environ.get("CODER_AGENT_TOKEN_FILE", "")
    if not token and token_file:
        with open(token_file) as fh:
            token = fh.read().strip()
    if not url or not token:
        print("error: CODER_AGENT_URL and CODER_AGENT_TOKEN must be set", file=sys.stderr)
        return 2
    services = []
    try:
        from .relay import relay_service
    except (ImportError, SyntaxError):  # no usable websocket library (old Python): no terminal/SSH
        relay_service = None
    if relay_service is not None and not args.no_relay:
        services.append(relay_service)
    try:
        shutdown_timeout = seconds(args.shutdown_timeout or os.environ.get("CODER_AGENT_SHUTDOWN_TIMEOUT", "")
                                   or DEFAULT_SHUTDOWN_TIMEOUT)
    except ValueError as exc:
        print(f"error: --shutdown-timeout / CODER_AGENT_SHUTDOWN_TIMEOUT: {exc}", file=sys.stderr)
        return 2
    agent = Agent(url, token, extra_services=services, shutdown_timeout=shutdown_timeout)
    agent.install_signal_handlers()
    return agent.run()


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="coder-agent", description="Workspace agent.")
    sub = parser.add_subparsers(dest="command", required=True)
    agent = sub.add_parser("agent", help="Run the workspace agent (CODER_AGENT_URL, CODER_AGENT_TOKEN).")
    agent.add_argument("--url", default="", help="Portal access URL (default: $CODER_AGENT_URL).")
    agent.add_argument("--no-relay", action="store_true", help="Do not offer the terminal/SSH relay.")
    agent.add_argument("--shutdown-timeout", default="",
                       help="Longest a stop may take, stop scripts and reports included "
                            "(default: $CODER_AGENT_SHUTDOWN_TIMEOUT or 5m).")
    agent.set_defaults(func=_agent)
    return parser


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
