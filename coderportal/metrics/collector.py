"""Figures read from the database and the broker when Prometheus scrapes (Coder computes its
workspace and agent gauges from the database the same way).

Runs only in the exporter, a few grouped queries per scrape whatever the number of
workspaces; labels are statuses, transitions, template names and queue names.
"""
from __future__ import annotations

import logging
from collections import Counter

from django.db import close_old_connections
from prometheus_client.core import GaugeMetricFamily

log = logging.getLogger(__name__)


class PortalCollector:
    def collect(self):
        close_old_connections()
        try:
            yield from self._builds()
            yield from self._agents()
            yield from self._queues()
        except Exception:  # a scrape must answer with what it has, not fail the whole endpoint
            log.exception("collecting portal metrics failed")
        finally:
            close_old_connections()

    @staticmethod
    def _builds():
        from django.db.models import Count, OuterRef, Subquery

        from workspaces.models import Workspace, WorkspaceBuild

        latest = WorkspaceBuild.objects.filter(workspace=OuterRef("pk")).order_by("-build_number")
        rows = (Workspace.objects.filter(deleted=False)
                .annotate(status=Subquery(latest.values("job__status")[:1]),
                          transition=Subquery(latest.values("transition")[:1]))
                .values("status", "transition", "template__name").annotate(n=Count("pk")))
        family = GaugeMetricFamily("coderd_workspace_latest_build_status",
                                   "The current workspace statuses by template, transition, and status.",
                                   labels=["status", "template_name", "workspace_transition"])
        for row in rows:
            family.add_metric([row["status"] or "", row["template__name"], row["transition"] or ""], row["n"])
        yield family

    @staticmethod
    def _agents():
        from django.db.models import OuterRef, Subquery

        from workspaces.api.serializers.agents import agent_status
        from workspaces.models import WorkspaceAgent, WorkspaceBuild

        up, connections = Counter(), Counter()
        latest = (WorkspaceBuild.objects.filter(workspace=OuterRef("resource__build__workspace"))
                  .order_by("-build_number").values("pk")[:1])
        agents = (WorkspaceAgent.objects.filter(resource__build=Subquery(latest),
                                                resource__build__workspace__deleted=False)
                  .select_related("resource__build__workspace__template")
                  .only("first_connected_at", "last_connected_at", "disconnected_at", "created_at",
                        "connection_timeout_seconds", "lifecycle_state",
                        "resource__build__workspace__template__name"))
        for agent in agents.iterator(chunk_size=500):
            template = agent.resource.build.workspace.template.name
            status = agent_status(agent)
            connections[(status, agent.lifecycle_state, template)] += 1
            if status == "connected":
                up[template] += 1
        family = GaugeMetricFamily("coderd_agents_up", "The number of active agents per template.",
                                   labels=["template_name"])
        for template, n in up.items():
            family.add_metric([template], n)
        yield family
        family = GaugeMetricFamily("coderd_agents_connections", "Agents by connection status and lifecycle state.",
                                   labels=["status", "lifecycle_state", "template_name"])
        for key, n in connections.items():
            family.add_metric(list(key), n)
        yield family

    @staticmethod
    def _queues():
        from coderportal.celery import app
        from templates_app.jobs import queues
        from templates_app.models import ProvisionerJob
        from templates_app.models.jobs import ACTIVE_STATUSES

        names = {queues.BASE_QUEUE} | set(
            ProvisionerJob.objects.filter(status__in=ACTIVE_STATUSES).values_list("queue", flat=True).distinct())
        family = GaugeMetricFamily("coderportal_celery_queue_depth",
                                   "Messages waiting in each provisioner queue of the Celery broker.",
                                   labels=["queue"])
        with app.connection_for_read() as connection:
            channel = connection.default_channel
            for name in sorted(names):
                try:
                    depth = channel.queue_declare(queue=name, passive=True).message_count
                except Exception:  # a queue no worker declared yet holds nothing
                    depth = 0
                    channel = connection.channel()  # AMQP closes a channel on a failed passive declare
                family.add_metric([name], depth)
        yield family
        pending = Counter(ProvisionerJob.objects.filter(status="pending").values_list("queue", flat=True))
        family = GaugeMetricFamily("coderportal_provisioner_jobs_pending",
                                   "Provisioner jobs waiting for a daemon, by queue.", labels=["queue"])
        for name in sorted(names):
            family.add_metric([name], pending.get(name, 0))
        yield family
