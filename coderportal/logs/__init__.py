"""Server logs as Coder writes them: human lines, JSON lines and Stackdriver JSON to the sinks
named by CODER_LOG_HUMAN / CODER_LOG_JSON / CODER_LOG_STACKDRIVER, from every process of `serve`.

`context` holds what the current request or task is (request id, user id, trace/span ids),
`formatters` renders a record in each format, `config` builds the `LOGGING` setting and
installs it (Django calls `config.configure` in web processes, Celery workers and commands).
"""
