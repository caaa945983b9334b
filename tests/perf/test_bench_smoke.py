"""Benchmark smoke: the bench/ scripts still start `serve`, drive their load and print their rows.

Tiny parameters, nothing timed: figures are printed by the scripts, never asserted here.
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.bench


def run_bench(*args: str) -> str:
    result = subprocess.run([sys.executable, *args], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def test_api_load_prints_a_row_per_endpoint():
    out = run_bench("bench/api_load.py", "--connections", "2", "--duration", "1")
    rows = [line.split() for line in out.splitlines() if line.strip().startswith("this tree")]
    assert [row[2] for row in rows] == ["healthz", "users/me", "workspaces"], out
    assert all(row[3] == "2" and row[7] == "0" for row in rows), out  # 2 connections, 0 errors


def test_api_throughput_prints_its_rows():
    out = run_bench("bench/api_throughput.py", "--web-workers", "1", "--concurrency", "2", "--duration", "1",
                    "--max-requests", "40")
    rows = [line.split() for line in out.splitlines() if line.strip().startswith("1 ")]
    assert {row[1] for row in rows} == {"healthz", "users/me"}, out
