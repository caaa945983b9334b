"""`manage.py provisionerd`: an external provisioner daemon (Coder's `coder provisioner start`).

Runs one Celery worker that takes provisioner jobs one at a time from the queues its tags
match (`templates_app.jobs.queues`) and registers as a daemon (`templates_app.tasks`). It
needs only the database and the broker (CODER_PG_CONNECTION_URL and CODER_REDIS_URL or
CELERY_BROKER_URL), no web server.
The process replaces itself with the worker, so signals reach Celery directly.
"""
from __future__ import annotations

import os
import socket
import sys

from django.core.management.base import BaseCommand, CommandError

from coderportal import config
from coderportal.serve import children
from templates_app.jobs import queues


class Command(BaseCommand):
    help = "Run an external provisioner daemon (a Celery worker on the provisioner queues)."

    def add_arguments(self, parser):
        parser.add_argument("--tag", "--tags", "-t", dest="tags", action="append", default=[],
                            help="Provisioner tag key=value (repeatable, or comma-separated). "
                                 "Default: CODER_PROVISIONER_TAGS.")
        parser.add_argument("--name", default="", help="Worker name; default provisionerd-<pid>@<host>.")
        parser.add_argument("--print-queues", action="store_true", help="Print the queues and exit.")

    def handle(self, *args, tags, name, print_queues, **_):
        try:
            if tags:
                parsed = queues.parse_tag_args([part for value in tags for part in value.split(",") if part.strip()])
            else:
                parsed = config.value("CODER_PROVISIONER_TAGS")
            queue_names = queues.queues_for_daemon(parsed)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        if print_queues:
            self.stdout.write("\n".join(queue_names))
            return
        node = name or f"provisionerd-{os.getpid()}@{socket.gethostname()}"
        argv = [sys.executable, "-m", "celery", "-A", "coderportal",
                *children.worker_args(node, queue_names, config.value("CODER_LOG_LEVEL"))]
        self.stdout.write(f"provisionerd {node}: tags {queues.normalize_tags(parsed)}; queues {', '.join(queue_names)}")
        self.stdout.flush()
        os.execve(sys.executable, argv, {**os.environ, **children.provisioner_env(parsed)})
