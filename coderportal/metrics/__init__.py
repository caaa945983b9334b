"""Prometheus metrics: what every process records (`definitions`), the request and websocket
instrumentation (`middleware`), the figures read at scrape time (`collector`) and the endpoint
`serve` runs when CODER_PROMETHEUS_ENABLE is set (`exporter`).

Processes of `serve` (web workers, Celery workers and their pool children) write their values
to files in one directory (prometheus_client's multiprocess mode); the exporter adds them up,
so a counter survives the restart of the process that counted it.
"""
