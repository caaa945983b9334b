"""Agent pieces without a portal: the cron matcher and the /proc/net/tcp reader."""
from __future__ import annotations

import socket
from datetime import datetime

import pytest

from agent import ports
from agent.cron import Cron


@pytest.mark.parametrize("expr, when, expected", [
    ("*/5 * * * *", datetime(2026, 1, 5, 10, 15, 0), True),
    ("*/5 * * * *", datetime(2026, 1, 5, 10, 15, 1), False),   # five fields fire at second 0
    ("*/5 * * * *", datetime(2026, 1, 5, 10, 16, 0), False),
    ("*/10 * * * * *", datetime(2026, 1, 5, 10, 16, 20), True),  # six fields: seconds first
    ("0 9-17 * * mon-fri", datetime(2026, 1, 5, 9, 0), True),   # a Monday
    ("0 9-17 * * mon-fri", datetime(2026, 1, 4, 9, 0), False),  # a Sunday
    ("0 0 1 * 7", datetime(2026, 1, 4, 0, 0), True),            # dom OR dow: Sunday written 7
    ("0 0 1 * 7", datetime(2026, 1, 1, 0, 0), True),
    ("0 0 1 * 7", datetime(2026, 1, 2, 0, 0), False),
    ("30 1,13 * jan *", datetime(2026, 1, 9, 13, 30), True),
])
def test_cron_matches(expr, when, expected):
    assert Cron(expr).matches(when) is expected


@pytest.mark.parametrize("expr", ["* * *", "61 * * * *", "*/0 * * * *", "5-1 * * * *", "x * * * *"])
def test_cron_rejects(expr):
    with pytest.raises(ValueError):
        Cron(expr)


def test_listening_ports_sees_a_socket_of_this_process():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        found = {p["port"]: p for p in ports.listening_ports()}
        assert port in found and found[port]["network"] == "tcp"
    assert port not in {p["port"] for p in ports.listening_ports()}
