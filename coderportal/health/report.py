"""Runs every check and assembles Coder's HealthcheckReport shape plus our sections."""
from __future__ import annotations

from datetime import UTC, datetime

from coderportal.health import checks
from coderportal.version import VERSION

SECTIONS = {
    "access_url": checks.access_url,
    "database": checks.database,
    "provisioner_daemons": checks.provisioner_daemons,
    "celery_broker": checks.celery_broker,
    "channel_layer": checks.channel_layer,
    "scheduler": checks.scheduler,
    "disk": checks.disk,
    "terraform": checks.terraform,
}


def build() -> dict:
    report: dict = {"time": datetime.now(UTC).isoformat(), "coder_version": VERSION}
    for name, check in SECTIONS.items():
        try:
            report[name] = check()
        except Exception as exc:  # a broken check is itself an error, never a 500
            report[name] = checks.section(error=f"the {name} check failed: {exc.__class__.__name__}: {exc}")
    # Parts of Coder this portal does not have: reported, never counted against health.
    report["derp"] = checks.not_applicable("no DERP relay: agents connect to the server over websockets")
    report["workspace_proxy"] = checks.not_applicable("workspace proxies are not part of this portal")
    report["websocket"] = checks.not_applicable("covered by channel_layer (the websocket relays' transport)")
    report["severity"] = checks.worst(s["severity"] for s in report.values() if isinstance(s, dict))
    report["healthy"] = report["severity"] != checks.ERROR
    report["failing_sections"] = sorted(k for k, s in report.items()
                                        if isinstance(s, dict) and s.get("severity") == checks.ERROR)
    return report
