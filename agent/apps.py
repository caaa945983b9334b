"""App health checks (`coder_app.healthcheck`): GET the URL every `interval` seconds; an
answer below HTTP 500 is healthy, `threshold` failures in a row are unhealthy (Coder's
rule). Changes are reported with `POST /api/v2/workspaceagents/me/app-health`."""
from __future__ import annotations

import threading
import urllib.error
import urllib.request


def probe(url: str, timeout: float) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:
            return resp.status < 500
    except urllib.error.HTTPError as exc:
        return exc.code < 500
    except (OSError, ValueError):
        return False


def app_health_service(agent) -> None:
    apps = [a for a in agent.manifest.get("apps") or []
            if (a.get("healthcheck") or {}).get("url") and (a["healthcheck"].get("interval") or 0) > 0]
    for app in apps:
        threading.Thread(target=_watch, args=(agent, app, agent.generation), daemon=True).start()


def _watch(agent, app, generation) -> None:
    check = app["healthcheck"]
    interval = max(float(check["interval"]), 1.0)
    threshold = max(int(check.get("threshold") or 1), 1)
    failures, reported = 0, "initializing"
    while not agent.stop.is_set() and agent.generation == generation:  # a new build: new app ids
        if probe(check["url"], min(interval, 10.0)):
            failures, health = 0, "healthy"
        else:
            failures += 1
            health = "unhealthy" if failures >= threshold else reported
        if health != reported:
            try:
                agent.client.report_app_health({app["id"]: health})
                reported = health
            except OSError:
                pass
            except Exception:  # noqa: BLE001 - a refused report is retried at the next change
                pass
        agent.stop.wait(interval)
