"""Deployment configuration read from the environment, with Coder's variable names.

Every setting the portal exposes is declared once here: its environment variable, its
default, its kind (bool, int, duration, URL, host:port, JSON, list, path, ...: see
`config_types`) and whether it is secret. `check()` parses every option when settings are
imported, so a bad value stops `serve` (and any `manage.py` command) at once with one line
naming the variable and the accepted form; code reads typed values through `value()` and
the `get_*` accessors, never by parsing text itself. `settings.py` reads values through this
module, the `serve` command maps its flags onto the same variables, and
`/api/v2/deployment/config` renders the table with secrets redacted.
"""
from __future__ import annotations

import copy
import functools
import os
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from coderportal.config_types import (
    BOOL,
    DURATION,
    HOST_PORT,
    HTTP_URL,
    INT,
    JSON_OBJECT,
    KEY_VALUES,
    LIST,
    NUMBER,
    OPTIONAL_PATH,
    PATH,
    STRING,
    Kind,
    choice,
    optional_host_port,
    url,
)


class ConfigError(Exception):
    """One or more options have values of the wrong form; the message has one line per option."""


@dataclass(frozen=True)
class Option:
    env: str
    default: str
    description: str
    secret: bool = False
    flag: str | None = None
    kind: Kind = STRING

    @property
    def value(self) -> str:
        """The raw text (environment, else default)."""
        return os.environ.get(self.env, self.default)

    @property
    def typed(self) -> Any:
        """The parsed value; raises ConfigError when the text is not of this option's kind."""
        raw = self.value
        try:
            parsed = _parse(self.kind, raw)
        except ValueError:
            shown = "(secret value)" if self.secret else repr(raw)
            raise ConfigError(f"{self.env}={shown} is not valid: expected {self.kind.accepted}") from None
        # Lists and dicts are cached: hand out copies so no caller can change another's value.
        return copy.copy(parsed) if isinstance(parsed, (list, dict)) else parsed


@functools.lru_cache(maxsize=512)
def _parse(kind: Kind, raw: str) -> Any:
    """Parse each distinct text once; the environment may still change (tests set variables)."""
    return kind.parse(raw)


def _default_data_dir() -> str:
    return str(Path(os.environ.get("XDG_DATA_HOME", Path.home() / ".local" / "share")) / "coderportal")


OPTIONS: dict[str, Option] = {
    o.env: o
    for o in [
        Option("CODER_DATA_DIR", _default_data_dir(), "Directory holding all embedded-mode data.", flag="--data-dir",
               kind=PATH),
        Option("CODER_ACCESS_URL", "", "External URL users and agents use to reach the portal.", flag="--access-url",
               kind=HTTP_URL),
        Option("CODER_WILDCARD_ACCESS_URL", "",
               'Specifies the wildcard hostname to use for workspace applications in the form "*.example.com".',
               flag="--wildcard-access-url"),
        Option("CODER_SECURE_AUTH_COOKIE", "false",
               "Controls if the 'Secure' property is set on browser session cookies (always set when the "
               "access URL is https).", flag="--secure-auth-cookie", kind=BOOL),
        Option("CODER_STRICT_TRANSPORT_SECURITY", "0",
               "Controls if the 'Strict-Transport-Security' header is set on all responses. This header should "
               "only be set if the server is accessed via HTTPS. This value is the MaxAge in seconds of the "
               "header.", flag="--strict-transport-security", kind=INT),
        Option("CODER_STRICT_TRANSPORT_SECURITY_OPTIONS", "",
               "Two optional fields can be set in the Strict-Transport-Security header; 'includeSubDomains' and "
               "'preload'. The 'strict-transport-security' flag must be set to a non-zero value for these "
               "options to be used.", flag="--strict-transport-security-options", kind=LIST),
        Option("CODER_HTTP_ADDRESS", "127.0.0.1:3000", "Address the HTTP server binds to.", flag="--http-address",
               kind=HOST_PORT),
        Option("CODER_PG_CONNECTION_URL", "", "PostgreSQL URL; empty means embedded SQLite.", secret=True,
               flag="--postgres-url", kind=url("postgres", "postgresql")),
        Option("CODER_SQLITE_PATH", "", "File of the embedded SQLite database (default: in the data directory).",
               kind=OPTIONAL_PATH),
        Option("CODER_REDIS_URL", "", "Redis URL for broker, channel layer and cache; empty means embedded.",
               secret=True, flag="--redis-url", kind=url("redis", "rediss", "unix")),
        Option("CELERY_BROKER_URL", "", "Overrides the Celery broker URL.", secret=True,
               kind=url()),
        Option("CODER_PROVISIONER_DAEMONS", "3", "Number of built-in provisioner workers.",
               flag="--provisioner-daemons", kind=INT),
        Option("CODER_SESSION_DURATION", "24h", "Lifetime of browser and CLI sessions, refreshed on activity.",
               flag="--session-duration", kind=DURATION),
        Option("CODER_DISABLE_SESSION_EXPIRY_REFRESH", "false", "Do not extend sessions on activity.", kind=BOOL),
        Option("CODER_DEFAULT_TOKEN_LIFETIME", "168h", "Default lifetime of API tokens.", kind=DURATION),
        Option("CODER_MAX_TOKEN_LIFETIME", "876600h", "Maximum lifetime of API tokens.",
               flag="--max-token-lifetime", kind=DURATION),
        Option("CODER_DISABLE_PASSWORD_AUTH", "false", "Disable password login (owners keep it to avoid lock-out).",
               kind=BOOL),
        Option("CODER_DISABLE_OWNER_WORKSPACE_ACCESS", "false",
               "Site owners may not connect (SSH, terminal, apps) to workspaces of other users.",
               flag="--disable-owner-workspace-access", kind=BOOL),
        Option("CODER_API_RATE_LIMIT", "512", "API requests per minute per user (per IP when anonymous); 0 disables.",
               kind=INT),
        Option("CODER_LOGIN_RATE_LIMIT", "12", "Login attempts per minute per IP; 0 disables.", kind=INT),
        Option("CODER_MAX_REQUEST_BODY_BYTES", str(10 * 1024 * 1024), "Largest JSON body accepted by the API.",
               kind=INT),
        Option("CODER_MAX_FILE_BYTES", str(10 * 1024 * 1024), "Largest template archive accepted by POST /files.",
               kind=INT),
        Option("CODER_DISABLE_PATH_APPS", "false",
               "Serve no path-based apps at all (only subdomain apps, on their own origins).",
               flag="--disable-path-apps", kind=BOOL),
        Option("CODER_DANGEROUS_ALLOW_PATH_APP_SHARING", "false",
               "Honour sharing levels of path-based apps (served on the portal's own origin, sandboxed for "
               "viewers other than the workspace owner); otherwise only the owner opens them.",
               flag="--dangerous-allow-path-app-sharing", kind=BOOL),
        Option("CODER_DANGEROUS_ALLOW_PATH_APP_SITE_OWNER_ACCESS", "false",
               "Let site owners (and other admins) open path-based apps of other users' workspaces.",
               flag="--dangerous-allow-path-app-site-owner-access", kind=BOOL),
        Option("CODER_PROXY_TRUSTED_ORIGINS", "",
               "Comma-separated addresses/CIDRs of reverse proxies whose forwarded headers are trusted.",
               flag="--proxy-trusted-origins", kind=LIST),
        Option("CODER_PROXY_TRUSTED_HEADERS", "",
               "Comma-separated headers holding the client address when the request comes from a trusted "
               "proxy, e.g. `X-Forwarded-For`, `X-Real-IP`, `CF-Connecting-IP`.", flag="--proxy-trusted-headers",
               kind=LIST),
        Option("CODER_MAX_FILE_UNCOMPRESSED_BYTES", str(100 * 1024 * 1024),
               "Largest total size a template archive may expand to.", kind=INT),
        Option("CODER_MAX_FILE_ENTRIES", "10000", "Most entries a template archive may hold.", kind=INT),
        Option("CODER_PROVISIONER_HEARTBEAT_SECONDS", "5", "How often a running job reports that it is alive.",
               kind=NUMBER),
        Option("CODER_PROVISIONER_HANG_TIMEOUT", "90s",
               "A running job whose worker has not reported for this long is failed by the reaper.",
               kind=DURATION),
        Option("CODER_PROVISIONER_PENDING_TIMEOUT", "30m",
               "A pending job no live provisioner can take is failed after this long.", kind=DURATION),
        Option("CODER_PROVISIONER_DAEMON_OFFLINE_AFTER", "60s",
               "A provisioner daemon not seen for this long is shown offline.", kind=DURATION),
        Option("CODER_PROVISIONER_TAGS", "", "Tags of this provisioner worker, as k=v pairs separated by commas.",
               kind=KEY_VALUES),
        Option("CODER_ENABLE_ECHO_PROVISIONER", "false",
               "Accept the scripted `echo` provisioner (for tests and demos, like Coder's).", kind=BOOL),
        Option("CODER_OIDC_ISSUER_URL", "", "OpenID Connect issuer URL; enables OIDC login.", kind=HTTP_URL),
        Option("CODER_OIDC_CLIENT_ID", "", "OIDC client id.", kind=STRING),
        Option("CODER_OIDC_CLIENT_SECRET", "", "OIDC client secret.", secret=True, kind=STRING),
        Option("CODER_OIDC_EMAIL_DOMAIN", "", "Comma-separated email domains allowed to log in with OIDC.",
               kind=LIST),
        Option("CODER_OIDC_SCOPES", "openid,profile,email", "Comma-separated OIDC scopes.", kind=LIST),
        Option("CODER_OIDC_GROUP_FIELD", "", "Claim holding the user's groups; enables group sync.", kind=STRING),
        Option("CODER_OIDC_GROUP_MAPPING", "{}", "JSON map from IdP group name to portal group name.",
               kind=JSON_OBJECT),
        Option("CODER_OIDC_GROUP_AUTO_CREATE", "true", "Create groups named by the IdP that do not exist.",
               kind=BOOL),
        Option("CODER_OIDC_USER_ROLE_FIELD", "", "Claim holding the user's site roles; enables role sync.",
               kind=STRING),
        Option("CODER_OIDC_USER_ROLE_MAPPING", "{}", "JSON map from IdP role to list of portal site roles.",
               kind=JSON_OBJECT),
        Option("CODER_OIDC_SIGN_IN_TEXT", "OpenID Connect", "Text of the OIDC login button.", kind=STRING),
        Option("CODER_OIDC_ICON_URL", "", "Icon of the OIDC login button (a URL or a path on this server).",
               kind=STRING),
        Option("CODER_OAUTH2_GITHUB_CLIENT_ID", "", "GitHub OAuth client id; enables GitHub login.", kind=STRING),
        Option("CODER_OAUTH2_GITHUB_CLIENT_SECRET", "", "GitHub OAuth client secret.", secret=True, kind=STRING),
        Option("CODER_OAUTH2_GITHUB_ALLOWED_ORGS", "", "Comma-separated GitHub organizations allowed to log in.",
               kind=LIST),
        Option("CODER_OAUTH2_GITHUB_ALLOWED_TEAMS", "", "Comma-separated org/team slugs allowed to log in.",
               kind=LIST),
        Option("CODER_OAUTH2_GITHUB_ALLOW_EVERYONE", "false", "Allow any GitHub user to log in.", kind=BOOL),
        Option("CODER_SECRET_KEY", "", "Django secret key; generated into the data dir when empty.", secret=True,
               kind=STRING),
        # --- Notifications (Coder's names and defaults) ---
        Option("CODER_NOTIFICATIONS_METHOD", "smtp", "Which delivery method to use (available options: 'smtp', "
               "'webhook'); the inbox is always used in addition.", flag="--notifications-method",
               kind=choice("SMTP", "WEBHOOK")),
        Option("CODER_NOTIFICATIONS_DISPATCH_TIMEOUT", "1m", "How long to wait while a notification is being sent "
               "before giving up.", kind=DURATION),
        Option("CODER_NOTIFICATIONS_MAX_SEND_ATTEMPTS", "5", "The upper limit of attempts to send a notification.",
               kind=INT),
        Option("CODER_NOTIFICATIONS_RETRY_INTERVAL", "5m", "The minimum time between retries of a failed "
               "notification.", kind=DURATION),
        Option("CODER_NOTIFICATIONS_LEASE_PERIOD", "2m", "How long a dispatcher holds a lease on a batch of "
               "messages; an expired lease (a crashed worker) lets another dispatcher send them.", kind=DURATION),
        Option("CODER_NOTIFICATIONS_LEASE_COUNT", "20", "How many notifications a dispatcher leases per batch.",
               kind=INT),
        Option("CODER_NOTIFICATIONS_FETCH_INTERVAL", "15s", "How often the scheduler looks for pending "
               "notifications (enqueueing also wakes a dispatcher at once).", kind=DURATION),
        Option("CODER_NOTIFICATIONS_WEBHOOK_ENDPOINT", "", "The endpoint to which to send webhooks.",
               flag="--notifications-webhook-endpoint", kind=HTTP_URL),
        Option("CODER_NOTIFICATIONS_WEBHOOK_FORMAT", "coder", "Body format of webhook notifications: coder "
               "(Coder's JSON), slack (Slack incoming webhook) or teams (Microsoft Teams workflow / Adaptive "
               "Card); a template may override it.", kind=choice("CODER", "SLACK", "TEAMS")),
        Option("CODER_EMAIL_FROM", "", "The sender's address to use.", flag="--email-from", kind=STRING),
        Option("CODER_EMAIL_SMARTHOST", "", "The intermediary SMTP host through which emails are sent "
               "(host:port).", flag="--email-smarthost", kind=optional_host_port()),
        Option("CODER_EMAIL_HELLO", "localhost", "The hostname identifying the SMTP server.", kind=STRING),
        Option("CODER_EMAIL_FORCE_TLS", "false", "Force a TLS connection to the configured SMTP smarthost "
               "(port 465 always uses TLS).", kind=BOOL),
        Option("CODER_EMAIL_AUTH_IDENTITY", "", "Identity to use with PLAIN authentication.", kind=STRING),
        Option("CODER_EMAIL_AUTH_USERNAME", "", "Username to use with PLAIN/LOGIN authentication.", kind=STRING),
        Option("CODER_EMAIL_AUTH_PASSWORD", "", "Password to use with PLAIN/LOGIN authentication.", secret=True,
               kind=STRING),
        Option("CODER_EMAIL_AUTH_PASSWORD_FILE", "", "File from which to load the SMTP password.",
               kind=OPTIONAL_PATH),
        Option("CODER_EMAIL_TLS_STARTTLS", "false", "Enable STARTTLS to upgrade insecure SMTP connections.",
               kind=BOOL),
        Option("CODER_EMAIL_TLS_SKIPVERIFY", "false", "Skip verification of the SMTP server's certificate "
               "(insecure).", kind=BOOL),
        Option("CODER_EMAIL_TLS_CERTFILE", "", "Certificate file for mutual TLS with the SMTP server.",
               kind=OPTIONAL_PATH),
        Option("CODER_EMAIL_TLS_CERTKEYFILE", "", "Certificate key file for mutual TLS with the SMTP server.",
               kind=OPTIONAL_PATH),
        Option("CODER_LOG_LEVEL", "INFO", "Server log level.", kind=choice("DEBUG", "INFO", "WARNING", "ERROR")),
        Option("CODER_AUTOBUILD_POLL_INTERVAL", "1m",
               "How often the lifecycle executor looks for workspaces to autostart, autostop, mark dormant "
               "or delete.", flag="--autobuild-poll-interval", kind=DURATION),
        Option("CODER_AUTOBUILD_AUTOSTART_RETRIES", "3",
               "How many times a failed autostart is retried (with doubling backoff) before giving up; 0 never.",
               kind=INT),
        Option("CODER_AUTOBUILD_AUTOSTART_RETRY_BACKOFF", "5m", "Wait before the first autostart retry.",
               kind=DURATION),
        Option("CODER_QUIET_HOURS_DEFAULT_SCHEDULE", "CRON_TZ=UTC 0 0 * * *",
               "Default quiet hours (a daily cron with CRON_TZ) in which templates' autostop requirement stops "
               "workspaces.", flag="--default-quiet-hours-schedule", kind=STRING),
        Option("CODER_ALLOW_CUSTOM_QUIET_HOURS", "true", "Users may set their own quiet-hours schedule.",
               flag="--allow-custom-quiet-hours", kind=BOOL),
        Option("CODER_USER_DORMANCY_PERIOD", "2160h",
               "Active users not seen for this long are marked dormant (they get no autostart).", kind=DURATION),
        Option("CODER_AIBRIDGE_ENABLED", "false", "Serve AI Bridge, the LLM gateway under /api/v2/aibridge.",
               flag="--aibridge-enabled", kind=BOOL),
        Option("CODER_AIBRIDGE_OPENAI_KEY", "",
               "OpenAI API key AI Bridge sends upstream (falls back to OPENAI_API_KEY).",
               secret=True, flag="--aibridge-openai-key", kind=STRING),
        Option("CODER_AIBRIDGE_OPENAI_BASE_URL", "https://api.openai.com/v1/", "OpenAI API base URL.",
               flag="--aibridge-openai-base-url", kind=HTTP_URL),
        Option("CODER_AIBRIDGE_ANTHROPIC_KEY", "",
               "Anthropic API key AI Bridge sends upstream (falls back to ANTHROPIC_API_KEY).", secret=True,
               flag="--aibridge-anthropic-key", kind=STRING),
        Option("CODER_AIBRIDGE_ANTHROPIC_BASE_URL", "https://api.anthropic.com/", "Anthropic API base URL.",
               flag="--aibridge-anthropic-base-url", kind=HTTP_URL),
        Option("CODER_AIBRIDGE_RETENTION", "60d", "How long AI Bridge records are kept; 0 keeps them forever.",
               flag="--aibridge-retention", kind=DURATION),
        Option("CODER_AIBRIDGE_MAX_CONCURRENCY", "0",
               "Most AI Bridge requests served at once by this web process (503 beyond); 0 disables.",
               flag="--aibridge-max-concurrency", kind=INT),
        Option("CODER_AIBRIDGE_RATE_LIMIT", "0", "AI Bridge requests per minute per token (429 beyond); 0 disables.",
               flag="--aibridge-rate-limit", kind=INT),
        Option("CODER_AIBRIDGE_STRUCTURED_LOGGING", "false",
               "Log every AI Bridge record (logger coderd.aibridgedserver) with its fields.",
               flag="--aibridge-structured-logging", kind=BOOL),
        Option("CODER_LOG_HUMAN", "/dev/stderr",
               "Output human-readable logs to a given file (/dev/stderr, /dev/stdout or a path; empty: off).",
               flag="--log-human", kind=STRING),
        Option("CODER_LOG_JSON", "", "Output JSON logs to a given file (one object per line; empty: off).",
               flag="--log-json", kind=STRING),
        Option("CODER_LOG_STACKDRIVER", "", "Output Stackdriver compatible logs to a given file (empty: off).",
               flag="--log-stackdriver", kind=STRING),
        Option("CODER_VERBOSE", "false", "Output debug-level logs.", flag="--verbose", kind=BOOL),
        Option("CODER_PROMETHEUS_ENABLE", "false",
               "Serve prometheus metrics on the address defined by prometheus address.", flag="--prometheus-enable",
               kind=BOOL),
        Option("CODER_PROMETHEUS_ADDRESS", "127.0.0.1:2112", "The bind address to serve prometheus metrics.",
               flag="--prometheus-address", kind=HOST_PORT),
    ]
}


def get(env: str) -> str:
    """The raw text of an option; prefer `value()` or a typed accessor."""
    return OPTIONS[env].value


def value(env: str) -> Any:
    """The typed value of an option (bool, int, timedelta, list, dict, Path, ... by its kind)."""
    return OPTIONS[env].typed


def get_bool(env: str) -> bool:
    return bool(value(env))


def get_int(env: str) -> int:
    return int(value(env))


def get_duration(env: str) -> timedelta:
    return value(env)


def get_list(env: str) -> list[str]:
    return list(value(env))


def check(options=None) -> None:
    """Parse every option; raise ConfigError with one line per bad value (settings import calls this)."""
    problems = []
    for option in options if options is not None else OPTIONS.values():
        try:
            _ = option.typed
        except ConfigError as exc:
            problems.append(str(exc))
    if problems:
        raise ConfigError("\n".join(problems))


def redacted() -> list[dict]:
    """The configuration as shown by /api/v2/deployment/config: secrets never leave the server."""
    rows = []
    for option in OPTIONS.values():
        value = option.value
        if option.secret and value:
            value = ""
        rows.append({"name": option.env.lower().removeprefix("coder_").replace("_", "-"), "env": option.env,
                     "flag": option.flag or "", "description": option.description, "value": value,
                     "annotations": {"secret": "true"} if option.secret else {}})
    return rows
