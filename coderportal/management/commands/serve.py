"""`manage.py serve`: Coder's `coder server` — migrate, then web + provisioner workers + scheduler.

Flags are other spellings of CODER_* environment variables (see `coderportal.serve.options`).
Settings were imported before this command ran, so when a flag changes the environment the
command re-executes itself with the new environment: every process then reads one config.
"""
from __future__ import annotations

import logging
import os
import shlex
import sys

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from coderportal import config
from coderportal.metrics import exporter as metrics_exporter
from coderportal.serve import children, options
from coderportal.serve.supervisor import Supervisor

log = logging.getLogger("coderportal.serve")
REEXEC_MARKER = "CODERPORTAL_SERVE_REEXECUTED"
MIGRATION_LOCK_ID = 0x636F646572  # "coder": serialises migrate across replicas on PostgreSQL


class Command(BaseCommand):
    help = "Run the portal: migrations, web server, provisioner workers and scheduler as one process tree."

    def add_arguments(self, parser):
        options.add_flags(parser)

    def handle(self, *args, **parsed):
        changed = options.changed_environment(parsed)
        if changed:
            self._reexec(changed)
        config.check(options.SERVE_OPTIONS)  # settings.py checked the others at import
        host, port = config.value("CODER_HTTP_ADDRESS")
        daemons = config.get_int("CODER_PROVISIONER_DAEMONS")
        web_workers = options.serve_option("CODER_WEB_WORKERS")
        grace = options.serve_option("CODER_SHUTDOWN_GRACE_PERIOD").total_seconds()
        if web_workers < 1:
            raise CommandError("--web-workers must be at least 1")
        if web_workers > 1 and not settings.REDIS_URL:
            raise CommandError(
                f"--web-workers {web_workers} needs Redis (CODER_REDIS_URL): on the embedded default the "
                "channel layer (terminal, logs, app proxy) and the cache (rate limits) live in each web "
                "process's memory, so several processes would not see each other's connections and limits.")

        self._migrate()
        self._announce_first_user()
        connection.close()  # children open their own; nothing shared across the fork+exec

        level = config.value("CODER_LOG_LEVEL")
        specs = [children.web(host, port, web_workers, level), children.system_worker(self._default_queue(), level)]
        specs += [children.provisioner(i, level) for i in range(1, daemons + 1)]
        if options.serve_option("CODER_SCHEDULER_ENABLE"):
            specs.append(children.scheduler(settings.DATA_DIR, level))

        env = dict(os.environ)
        env.pop(metrics_exporter.ENV, None)
        if config.get_bool("CODER_PROMETHEUS_ENABLE"):
            env[metrics_exporter.ENV] = str(self._start_metrics())

        self.stdout.write(f"View the Web UI: {settings.ACCESS_URL}  (listening on {host}:{port}; "
                          f"{daemons} provisioner daemon(s); data in {settings.DATA_DIR})")
        self.stdout.flush()
        supervisor = Supervisor(specs, env=env, cwd=str(settings.BASE_DIR), grace_seconds=grace,
                                log=self._log, events_file=settings.DATA_DIR / "server-events.jsonl")
        code = supervisor.run()
        if code:
            sys.exit(code)

    def _start_metrics(self):
        """Empty the metrics directory and serve /metrics from this process, which outlives every child."""
        path = metrics_exporter.prepare(settings.DATA_DIR)
        host, port = config.value("CODER_PROMETHEUS_ADDRESS")
        try:
            metrics_exporter.start((host, port), path)
        except OSError as exc:
            raise CommandError(f"cannot serve metrics on {host}:{port} (CODER_PROMETHEUS_ADDRESS): {exc}")
        self._log(f"serving prometheus metrics on http://{host}:{port}/metrics")
        return path

    @staticmethod
    def _default_queue() -> str:
        return getattr(settings, "CELERY_TASK_DEFAULT_QUEUE", "celery")

    @staticmethod
    def _log(message: str) -> None:
        """The supervisor's lines go through the configured log sinks like every child's."""
        if message.startswith("ERROR: "):
            log.error(message.removeprefix("ERROR: "))
        else:
            log.info(message)

    def _reexec(self, changed: dict[str, str]) -> None:
        if os.environ.get(REEXEC_MARKER):
            raise CommandError(f"environment did not settle after re-exec: {sorted(changed)}")
        env = {**os.environ, **changed, REEXEC_MARKER: "1"}
        self.stdout.flush()
        os.execve(sys.executable, [sys.executable, *sys.argv], env)

    def _migrate(self) -> None:
        self._log("applying database migrations")
        if connection.vendor == "postgresql":
            # Several replicas may start at once; only one migrates at a time.
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_lock(%s)", [MIGRATION_LOCK_ID])
            try:
                call_command("migrate", interactive=False, verbosity=0)
            finally:
                with connection.cursor() as cursor:
                    cursor.execute("SELECT pg_advisory_unlock(%s)", [MIGRATION_LOCK_ID])
        else:
            call_command("migrate", interactive=False, verbosity=0)

    def _announce_first_user(self) -> None:
        from accounts.services.users import has_first_user

        if not has_first_user():
            url = settings.ACCESS_URL.rstrip("/")
            # The command must reach this server's database: name the data directory it was
            # started with, else the command would create an empty database in the default one.
            prefix = ""
            if os.environ.get("CODER_DATA_DIR"):
                prefix = f"CODER_DATA_DIR={shlex.quote(str(settings.DATA_DIR))} "
            if os.environ.get("CODER_SQLITE_PATH"):
                prefix += f"CODER_SQLITE_PATH={shlex.quote(os.environ['CODER_SQLITE_PATH'])} "
            same_env = " (with this server's CODER_* environment)" if settings.DATABASES["default"][
                "ENGINE"].endswith("postgresql") else ""
            self.stdout.write(
                "No users exist yet. Create the first (owner) user with\n"
                f"  POST {url}/api/v2/users/first  {{\"username\", \"email\", \"password\"}}\n"
                f"or  {prefix}python manage.py create_first_user --username NAME --email EMAIL "
                f"--password-file FILE{same_env}")
