"""The metrics the portal records, with Coder's names and labels where Coder has them.

Labels hold only bounded values (route patterns, statuses, transitions, provisioner types,
template names, queue names), never ids or user names, so the number of series stays small.
Values are process-local unless PROMETHEUS_MULTIPROC_DIR is set (serve sets it for its
children when metrics are enabled); recording is then a write to a memory-mapped file.
"""
from __future__ import annotations

import time
from contextlib import contextmanager

from prometheus_client import Counter, Gauge, Histogram

# Coder's API buckets (coderd/prometheusmetrics): milliseconds to half a minute.
LATENCY_BUCKETS = (0.001, 0.005, 0.010, 0.025, 0.050, 0.100, 0.500, 1, 5, 10, 30)
# Websocket sessions and provisioner jobs last seconds to hours.
LONG_BUCKETS = (1, 5, 10, 30, 60, 300, 600, 1800, 3600, 3 * 3600, 12 * 3600)
WAIT_BUCKETS = (0.1, 0.5, 1, 2, 5, 10, 30, 60, 300, 600, 1800)

API_REQUESTS = Counter("coderd_api_requests_processed_total", "The total number of processed API requests",
                       ["code", "method", "path"])
API_LATENCY = Histogram("coderd_api_request_latencies_seconds", "Latency distribution of requests in seconds.",
                        ["method", "path"], buckets=LATENCY_BUCKETS)
API_CONCURRENT = Gauge("coderd_api_concurrent_requests", "The number of concurrent API requests.",
                       multiprocess_mode="livesum")
WEBSOCKET_CONCURRENT = Gauge("coderd_api_concurrent_websockets", "The total number of concurrent API websockets.",
                             multiprocess_mode="livesum")
WEBSOCKET_DURATION = Histogram("coderd_api_websocket_durations_seconds",
                               "Websocket duration distribution of requests in seconds.", ["path"],
                               buckets=LONG_BUCKETS)
JOBS_CURRENT = Gauge("coderd_provisionerd_jobs_current", "The number of currently running provisioner jobs.",
                     ["provisioner"], multiprocess_mode="livesum")
JOB_TIMINGS = Histogram("coderd_provisionerd_job_timings_seconds", "The provisioner job time duration in seconds.",
                        ["provisioner", "status"], buckets=LONG_BUCKETS)
JOB_WAIT = Histogram("coderportal_provisioner_job_wait_seconds",
                     "Time a provisioner job waited in its queue before a daemon started it.",
                     ["provisioner", "queue"], buckets=WAIT_BUCKETS)
BUILDS_TOTAL = Counter("coderd_workspace_builds_total", "The number of workspaces started, updated, or deleted.",
                       ["template_name", "workspace_transition", "status"])
AUTOBUILD_DURATION = Histogram("coderd_lifecycle_autobuild_execution_duration_seconds",
                               "Duration of each autobuild execution.", buckets=LATENCY_BUCKETS)


def queue_label(queue: str) -> str:
    """Queue names are `provisioner` or `provisioner-<digest of a tag set>`: bounded by the tag
    sets operators configure, so usable as a label."""
    return queue or "provisioner"


def job_started(job) -> None:
    provisioner = job.input.get("provisioner", "terraform")
    JOBS_CURRENT.labels(provisioner).inc()
    if job.started_at and job.created_at:
        JOB_WAIT.labels(provisioner, queue_label(job.queue)).observe(
            max((job.started_at - job.created_at).total_seconds(), 0.0))


def job_ended(job, status: str, seconds: float) -> None:
    provisioner = job.input.get("provisioner", "terraform")
    JOBS_CURRENT.labels(provisioner).dec()
    JOB_TIMINGS.labels(provisioner, status).observe(seconds)


def build_finished(*, template_name: str, transition: str, status: str) -> None:
    BUILDS_TOTAL.labels(template_name, transition, status).inc()


@contextmanager
def autobuild_execution():
    """Wrap one run of the lifecycle executor (Coder's `coderd_lifecycle_autobuild_execution_duration_seconds`)."""
    started = time.perf_counter()
    try:
        yield
    finally:
        AUTOBUILD_DURATION.observe(time.perf_counter() - started)
