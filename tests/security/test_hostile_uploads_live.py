"""Hostile template archives against a running portal: each is a 400, the web process's peak
memory barely moves, and the portal keeps answering.

The server is the real `manage.py serve` (embedded default, no provisioners) in a
subprocess; memory is the web (uvicorn) process's peak RSS (`VmHWM`), reset before each
upload, so the figure is the growth that upload caused.
"""
from __future__ import annotations

import io
import tarfile
from pathlib import Path

import httpx
import psutil
import pytest

from tests.security import hostile_archives as hostile
from tests.test_serve import Served

MIB = hostile.MIB
MAX_GROWTH = 50 * MIB

HOSTILE = {
    # A link entry holding 120 MiB (a 120 KB upload): read whole, it grew the web process ~700 MB.
    "zip-symlink-120MiB": lambda: (hostile.zip_symlink_with_payload(120 * MIB), "application/zip"),
    # 1 MB of gzip that decompresses to 1 GiB: listing it decompressed everything.
    "targz-1GiB": lambda: (hostile.targz_of_zeros(1024 * MIB), "application/x-tar"),
    # More entries than the limit: the listing must stop at the limit, not read them all.
    "targz-20k-entries": lambda: (hostile.targz_of_many_headers(20_000), "application/x-tar"),
    # A central directory of 60k records (under 5 MB): zipfile made an object for each.
    "zip-60k-entries": lambda: (hostile.zip_of_many_entries(60_000), "application/zip"),
    # A 60 MiB pax header (60 KB gzipped), which tarfile reads into memory in one piece.
    "pax-header-60MiB": lambda: (hostile.pax_header_bomb(60 * MIB), "application/x-tar"),
    # Escapes only once resolved: x -> ., then x/x/x/esc -> ../../.. is the root's grandparent.
    "symlink-chain-through-entry": lambda: (hostile.tar_of_links([("x", "."), ("x/x/x/esc", "../../..")]),
                                            "application/x-tar"),
    "symlink-chain-in-target": lambda: (hostile.tar_of_links([("x", "."), ("esc", "x/x/x/../../..")]),
                                        "application/x-tar"),
}


def _status_kib(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise AssertionError(f"{field} missing from /proc/{pid}/status")


def _reset_peak(pid: int) -> None:
    Path(f"/proc/{pid}/clear_refs").write_text("5")  # 5: reset the peak RSS (VmHWM) to the current RSS


@pytest.fixture(scope="module")
def portal(tmp_path_factory):
    served = Served(tmp_path_factory.mktemp("hostile-uploads"), [], daemons=0)
    try:
        served.wait_healthy()
        with httpx.Client(base_url=served.base, timeout=60) as http:
            first = http.post("/api/v2/users/first", json={"username": "admin", "email": "admin@example.com",
                                                            "password": "correct-horse-42", "name": "Admin"})
            assert first.status_code == 201, first.text
            login = http.post("/api/v2/users/login", json={"email": "admin@example.com",
                                                            "password": "correct-horse-42"})
            assert login.status_code == 201, login.text
        web = next(p for p in served.tree() if "uvicorn" in " ".join(p.cmdline()))
        yield served, login.json()["session_token"], web
    finally:
        if served.proc.poll() is None:
            for process in served.tree()[::-1]:
                process.kill()
            served.proc.wait()
        served.log.close()


def _upload(served: Served, token: str, data: bytes, content_type: str) -> httpx.Response:
    with httpx.Client(base_url=served.base, timeout=120) as http:
        return http.post("/api/v2/files", content=data,
                         headers={"Coder-Session-Token": token, "Content-Type": content_type})


@pytest.mark.parametrize("case", list(HOSTILE))
def test_hostile_archive_is_refused_within_memory_bounds(portal, case):
    served, token, web = portal
    data, content_type = HOSTILE[case]()
    assert len(data) <= 10 * MIB  # within the upload limit: the archive checks are what is tested
    _reset_peak(web.pid)
    before = _status_kib(web.pid, "VmRSS")
    response = _upload(served, token, data, content_type)
    growth = (_status_kib(web.pid, "VmHWM") - before) * 1024
    assert response.status_code == 400, response.text[:500]
    body = response.json()
    assert body["validations"][0]["field"] == "file" and body["validations"][0]["detail"]
    print(f"{case}: {len(data)} bytes uploaded, peak RSS growth {growth / MIB:.1f} MiB, "
          f"refused: {body['validations'][0]['detail']}")
    assert growth < MAX_GROWTH, f"{case}: the web process grew by {growth / MIB:.0f} MiB"
    assert web.is_running() and served.proc.poll() is None
    assert httpx.get(f"{served.base}/healthz", timeout=10).status_code == 200


def test_portal_still_accepts_good_archives_after_the_hostile_ones(portal):
    served, token, web = portal
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        info = tarfile.TarInfo("main.tf")
        body = b'resource "terraform_data" "x" {}\n'
        info.size = len(body)
        tar.addfile(info, io.BytesIO(body))
    assert _upload(served, token, buffer.getvalue(), "application/x-tar").status_code == 201
    assert psutil.pid_exists(web.pid)
