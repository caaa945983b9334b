"""The agent's life: connect, fetch the manifest, run start scripts and report the
lifecycle, heartbeat (with listening ports), collect metadata, run cron scripts, and on
SIGTERM run stop scripts and report the shutdown outcome.

Lifecycle states are Coder's: created → starting → ready | start_error | start_timeout,
then shutting_down → off | shutdown_error | shutdown_timeout.

The stop is bounded by the shutdown timeout, whatever the portal does: stop scripts are
cut short before it, every report to the portal gives up at it, and after the stop scripts
every process the agent's scripts and sessions started is ended (agent/processes.py).
"""
from __future__ import annotations

import os
import signal
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor, wait
from datetime import datetime

from . import API_VERSION, VERSION, ports, processes
from .apps import app_health_service
from .client import APIError, Client
from .cron import Cron
from .logs import LogSender, now_iso
from .scripts import KILL_GRACE_SECONDS, Outcome, ScriptRunner, capture

DEFAULT_REPORT_INTERVAL = 5.0
DEFAULT_SHUTDOWN_TIMEOUT = 300.0
# Kept from the shutdown timeout for the final reports once the stop scripts are done.
REPORT_RESERVE_SECONDS = 10.0
# One try of a report during shutdown waits at most this long (a dead portal must not eat
# the whole budget on the first request).
SHUTDOWN_REQUEST_SECONDS = 5.0


def start_outcome(outcomes) -> str:
    if any(o.timed_out for o in outcomes):
        return "start_timeout"
    return "ready" if all(o.ok for o in outcomes) else "start_error"


def stop_outcome(outcomes) -> str:
    if any(o.timed_out for o in outcomes):
        return "shutdown_timeout"
    return "off" if all(o.ok for o in outcomes) else "shutdown_error"


class Agent:
    def __init__(self, url: str, token: str, *, extra_services=(),
                 shutdown_timeout: float = DEFAULT_SHUTDOWN_TIMEOUT):
        self.client = Client(url, token)
        self.shutdown_timeout = shutdown_timeout
        # Marks everything this run starts, so that its stop can find what detached.
        self.run_id = processes.new_marker()
        self.url = url
        self.stop = threading.Event()
        self.logs = LogSender(self.client)
        self.manifest: dict = {}
        self.report_interval = DEFAULT_REPORT_INTERVAL
        self.extra_services = list(extra_services)  # callables(agent) started after the manifest
        self.runner: ScriptRunner | None = None
        # The lifecycle as reported so far: [(state, changed_at)], replayed to a new agent row.
        self.states: list[tuple[str, str]] = []
        # Bumped when an update build gives this agent a new row (and manifest): loops
        # reading the manifest (metadata, app health) end and start again from the new one.
        self.generation = 0

    # -- plumbing -----------------------------------------------------------------------
    def _retry(self, what: str, call):
        """Retry a call until it works or the agent is stopping (the portal may be down)."""
        delay = 1.0
        while True:
            try:
                return call()
            except APIError as exc:
                if exc.status == 401:
                    self.log(f"{what}: the portal rejected the agent token", "error")
                if self.stop.is_set():
                    raise
            except OSError:
                if self.stop.is_set():
                    raise
            self.stop.wait(delay)
            delay = min(delay * 2, 10)

    def log(self, message: str, level: str = "info") -> None:
        # Also on stderr: the agent's own output is what its init script leaves to read
        # when the portal cannot be reached.
        print(f"{now_iso()} [{level}] {message}", file=sys.stderr, flush=True)
        self.logs.write(None, message, level)

    def lifecycle(self, state: str) -> None:
        changed_at = now_iso()
        self.states.append((state, changed_at))
        self._retry("report lifecycle", lambda: self.client.report_lifecycle(state, changed_at))

    def environment(self) -> dict:
        env = {k: v for k, v in os.environ.items() if k not in ("CODER_AGENT_TOKEN", "CODER_AGENT_AUTH")}
        env.update({str(k): str(v) for k, v in (self.manifest.get("environment_variables") or {}).items()})
        env.update({"CODER": "true", "CODER_AGENT_URL": self.url,
                    "CODER_WORKSPACE_NAME": self.manifest.get("workspace_name", ""),
                    "CODER_WORKSPACE_OWNER_NAME": self.manifest.get("owner_name", ""),
                    "CODER_WORKSPACE_AGENT_NAME": self.manifest.get("agent_name", ""),
                    "CODER_WORKSPACE_ID": self.manifest.get("workspace_id", ""),
                    processes.MARKER: self.run_id})
        return env

    def directory(self) -> str:
        directory = os.path.expandvars(os.path.expanduser(self.manifest.get("directory") or "~"))
        return directory if os.path.isdir(directory) else os.path.expanduser("~")

    # -- services -----------------------------------------------------------------------
    def _heartbeat(self) -> None:
        while not self.stop.is_set():
            try:
                answer = self.client.report_stats({"listening_ports": ports.listening_ports()})
                interval = answer.get("report_interval_seconds")
                if interval:
                    self.report_interval = float(interval)
                if answer.get("agent_id") and answer["agent_id"] != self.manifest.get("agent_id"):
                    self._follow_new_build()
            except (APIError, OSError):
                pass
            self.stop.wait(self.report_interval)

    def _follow_new_build(self) -> None:
        """An update build made a new agent row for our token while we kept running: take
        its manifest (apps, metadata, environment) and tell the new row where we are."""
        if self.stop.is_set():
            return
        # Reports first: if one fails, the manifest is still the old one and the next
        # heartbeat tries again.
        manifest = self.client.manifest()
        self.client.report_startup(VERSION, API_VERSION, self.directory())
        for state, changed_at in list(self.states):
            self.client.report_lifecycle(state, changed_at)
        self.manifest = manifest
        self.generation += 1
        self.log(f"the workspace was rebuilt; now running as agent {manifest.get('agent_id')}")
        self.runner.env = self.environment()
        self._spawn(app_health_service, self)
        self._spawn(self._metadata)

    def _metadata(self) -> None:
        generation, definitions = self.generation, self.manifest.get("metadata") or []
        due = {d["key"]: 0.0 for d in definitions}
        while definitions and not self.stop.is_set() and generation == self.generation:
            now = time.monotonic()
            batch = []
            for d in definitions:
                if now < due[d["key"]]:
                    continue
                interval = max(float(d.get("interval") or 10), 1.0)
                due[d["key"]] = now + interval
                value, error = capture(d.get("script", ""), self.environment(), self.directory(),
                                       float(d.get("timeout") or interval))
                batch.append({"key": d["key"], "value": value, "error": error, "collected_at": now_iso()})
            if batch:
                try:
                    self.client.report_metadata(batch)
                except (APIError, OSError):
                    pass
            self.stop.wait(max(min(due.values()) - time.monotonic(), 0.2))

    def _cron(self, scripts) -> None:
        schedules = []
        for s in scripts:
            try:
                schedules.append((Cron(s["cron"]), s))
            except (ValueError, KeyError) as exc:
                self.log(f"script {s.get('display_name')!r}: bad cron {s.get('cron')!r}: {exc}", "error")
        last = int(time.time())
        running: set[str] = set()
        while schedules and not self.stop.wait(max(last + 1 - time.time(), 0.05)):
            second = int(time.time())
            for tick in range(last + 1, second + 1):
                when = datetime.fromtimestamp(tick)
                for cron, script in schedules:
                    if cron.matches(when) and script["id"] not in running:
                        running.add(script["id"])
                        threading.Thread(target=self._cron_run, args=(script, running), daemon=True).start()
            last = second

    def _cron_run(self, script, running) -> None:
        try:
            self.runner.run(script)
        finally:
            running.discard(script["id"])

    def _spawn(self, target, *args) -> None:
        threading.Thread(target=target, args=args, name=target.__name__, daemon=True).start()

    # -- the life -----------------------------------------------------------------------
    def run(self) -> int:
        try:
            self.manifest = self._retry("fetch manifest", self.client.manifest)
        except (APIError, OSError):
            return 0  # stopped before the portal ever answered: nothing ran, nothing to report
        self.runner = ScriptRunner(self.environment(), self.directory(), self.logs)
        try:
            self._retry("report startup", lambda: self.client.report_startup(VERSION, API_VERSION,
                                                                              self.directory()))
            self.lifecycle("starting")
        except (APIError, OSError):  # stopped while the portal was unreachable
            return self.shutdown()
        self._spawn(self._heartbeat)
        self._spawn(app_health_service, self)
        self._spawn(self._metadata)
        for service in self.extra_services:
            self._spawn(service, self)
        scripts = self.manifest.get("scripts") or []
        self.log("running startup scripts")
        start = [s for s in scripts if s.get("run_on_start")]
        starting = threading.Event()
        starting.set()
        self._spawn(self._kill_start_scripts_on_stop, starting)
        with ThreadPoolExecutor(max_workers=max(len(start), 1)) as pool:
            outcomes = list(pool.map(self.runner.run, start))
        starting.clear()
        if self.stop.is_set():
            return self.shutdown()
        state = start_outcome(outcomes)
        self.log(f"startup scripts finished: {state}")
        self.logs.flush()  # a client seeing the state also sees the output that led to it
        try:
            self.lifecycle(state)
        except (APIError, OSError):  # stopped while the portal was unreachable
            return self.shutdown()
        self._spawn(self._cron, [s for s in scripts if s.get("cron")])
        self.stop.wait()
        return self.shutdown()

    def _kill_start_scripts_on_stop(self, starting: threading.Event) -> None:
        self.stop.wait()
        if starting.is_set():
            self.runner.kill_all()

    def _best_effort(self, call, *args) -> bool:
        """One report during shutdown: a few quick tries, never past the shutdown deadline."""
        for _ in range(3):
            try:
                call(*args)
                return True
            except APIError as exc:
                if 400 <= exc.status < 500:
                    return False
            except OSError:
                pass
            if self.client.deadline is not None and time.monotonic() + 0.5 >= self.client.deadline:
                return False
            time.sleep(0.5)
        return False

    def shutdown(self) -> int:
        deadline = time.monotonic() + self.shutdown_timeout
        self.client.deadline = deadline
        self.client.timeout = min(self.client.timeout, SHUTDOWN_REQUEST_SECONDS)
        self.runner.kill_all()
        self._best_effort(self.client.report_lifecycle, "shutting_down", now_iso())
        outcomes = self._run_stop_scripts(deadline - min(REPORT_RESERVE_SECONDS, self.shutdown_timeout / 3))
        # After the stop scripts (they may still need what the start scripts left running).
        ended = processes.end_all(self.run_id, self.runner.leftover_groups, deadline=deadline - 1)
        if ended:
            self.log(f"ended {ended} process(es) left running by scripts and sessions")
        state = stop_outcome(outcomes)
        self.log(f"shutdown scripts finished: {state}")
        self.logs.flush(max(deadline - time.monotonic(), 0))
        reported = self._best_effort(self.client.report_lifecycle, state, now_iso())
        self._best_effort(self.client.disconnect)
        return 0 if reported else 1

    def _run_stop_scripts(self, cut_off: float) -> list:
        """Run the `run_on_stop` scripts; any still running at `cut_off` is killed (timed out)."""
        scripts = [s for s in self.manifest.get("scripts") or [] if s.get("run_on_stop")]
        if not scripts:
            return []
        pool = ThreadPoolExecutor(max_workers=len(scripts))
        futures = [pool.submit(self.runner.run, s) for s in scripts]
        pool.shutdown(wait=False)
        done, pending = wait(futures, timeout=max(cut_off - time.monotonic(), 0))
        if not pending:
            return [f.result() for f in done]
        self.log("shutdown scripts did not finish within the shutdown timeout; killing them", "error")
        self.runner.kill_all()
        done, _ = wait(futures, timeout=KILL_GRACE_SECONDS + 1)
        return [f.result() for f in done] + [Outcome(None, timed_out=True)]

    def install_signal_handlers(self) -> None:
        def handler(signum, frame):
            self.stop.set()
        signal.signal(signal.SIGTERM, handler)
        signal.signal(signal.SIGINT, handler)
        if hasattr(signal, "SIGHUP"):
            signal.signal(signal.SIGHUP, handler)
