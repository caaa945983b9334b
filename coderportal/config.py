"""Deployment configuration read from the environment, with Coder's variable names.

Every setting the portal exposes is declared once here: its environment variable, its
default and whether it is secret. `settings.py` reads values through `CONFIG`, the
`serve` command maps its flags onto the same variables, and `/api/v2/deployment/config`
renders the table with secrets redacted.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Option:
    env: str
    default: str
    description: str
    secret: bool = False
    flag: str | None = None

    @property
    def value(self) -> str:
        return os.environ.get(self.env, self.default)


def _default_data_dir() -> str:
    return str(Path(os.environ.get("XDG_DATA_HOME", Path.home() / ".local" / "share")) / "coderportal")


OPTIONS: dict[str, Option] = {
    o.env: o
    for o in [
        Option("CODER_DATA_DIR", _default_data_dir(), "Directory holding all embedded-mode data.", flag="--data-dir"),
        Option("CODER_ACCESS_URL", "", "External URL users and agents use to reach the portal.", flag="--access-url"),
        Option("CODER_HTTP_ADDRESS", "127.0.0.1:3000", "Address the HTTP server binds to.", flag="--http-address"),
        Option("CODER_PG_CONNECTION_URL", "", "PostgreSQL URL; empty means embedded SQLite.", secret=True,
               flag="--postgres-url"),
        Option("CODER_SQLITE_PATH", "", "File of the embedded SQLite database (default: in the data directory)."),
        Option("CODER_REDIS_URL", "", "Redis URL for broker, channel layer and cache; empty means embedded.",
               secret=True, flag="--redis-url"),
        Option("CELERY_BROKER_URL", "", "Overrides the Celery broker URL.", secret=True),
        Option("CODER_PROVISIONER_DAEMONS", "3", "Number of built-in provisioner workers.",
               flag="--provisioner-daemons"),
        Option("CODER_SESSION_DURATION", "24h", "Lifetime of browser and CLI sessions, refreshed on activity.",
               flag="--session-duration"),
        Option("CODER_DISABLE_SESSION_EXPIRY_REFRESH", "false", "Do not extend sessions on activity."),
        Option("CODER_DEFAULT_TOKEN_LIFETIME", "168h", "Default lifetime of API tokens."),
        Option("CODER_MAX_TOKEN_LIFETIME", "876600h", "Maximum lifetime of API tokens.",
               flag="--max-token-lifetime"),
        Option("CODER_DISABLE_PASSWORD_AUTH", "false", "Disable password login (owners keep it to avoid lock-out)."),
        Option("CODER_DISABLE_OWNER_WORKSPACE_ACCESS", "false",
               "Site owners may not connect (SSH, terminal, apps) to workspaces of other users.",
               flag="--disable-owner-workspace-access"),
        Option("CODER_API_RATE_LIMIT", "512", "API requests per minute per user (per IP when anonymous); 0 disables."),
        Option("CODER_LOGIN_RATE_LIMIT", "12", "Login attempts per minute per IP; 0 disables."),
        Option("CODER_MAX_REQUEST_BODY_BYTES", str(10 * 1024 * 1024), "Largest JSON body accepted by the API."),
        Option("CODER_MAX_FILE_BYTES", str(10 * 1024 * 1024), "Largest template archive accepted by POST /files."),
        Option("CODER_MAX_FILE_UNCOMPRESSED_BYTES", str(100 * 1024 * 1024),
               "Largest total size a template archive may expand to."),
        Option("CODER_MAX_FILE_ENTRIES", "10000", "Most entries a template archive may hold."),
        Option("CODER_PROVISIONER_HEARTBEAT_SECONDS", "5", "How often a running job reports that it is alive."),
        Option("CODER_PROVISIONER_HANG_TIMEOUT", "90s",
               "A running job whose worker has not reported for this long is failed by the reaper."),
        Option("CODER_PROVISIONER_PENDING_TIMEOUT", "30m",
               "A pending job no live provisioner can take is failed after this long."),
        Option("CODER_PROVISIONER_DAEMON_OFFLINE_AFTER", "60s",
               "A provisioner daemon not seen for this long is shown offline."),
        Option("CODER_PROVISIONER_TAGS", "", "Tags of this provisioner worker, as k=v pairs separated by commas."),
        Option("CODER_ENABLE_ECHO_PROVISIONER", "false",
               "Accept the scripted `echo` provisioner (for tests and demos, like Coder's)."),
        Option("CODER_OIDC_ISSUER_URL", "", "OpenID Connect issuer URL; enables OIDC login."),
        Option("CODER_OIDC_CLIENT_ID", "", "OIDC client id."),
        Option("CODER_OIDC_CLIENT_SECRET", "", "OIDC client secret.", secret=True),
        Option("CODER_OIDC_EMAIL_DOMAIN", "", "Comma-separated email domains allowed to log in with OIDC."),
        Option("CODER_OIDC_SCOPES", "openid,profile,email", "Comma-separated OIDC scopes."),
        Option("CODER_OIDC_GROUP_FIELD", "", "Claim holding the user's groups; enables group sync."),
        Option("CODER_OIDC_GROUP_MAPPING", "{}", "JSON map from IdP group name to portal group name."),
        Option("CODER_OIDC_GROUP_AUTO_CREATE", "true", "Create groups named by the IdP that do not exist."),
        Option("CODER_OIDC_USER_ROLE_FIELD", "", "Claim holding the user's site roles; enables role sync."),
        Option("CODER_OIDC_USER_ROLE_MAPPING", "{}", "JSON map from IdP role to list of portal site roles."),
        Option("CODER_OIDC_SIGN_IN_TEXT", "OpenID Connect", "Text of the OIDC login button."),
        Option("CODER_OIDC_ICON_URL", "", "Icon of the OIDC login button."),
        Option("CODER_OAUTH2_GITHUB_CLIENT_ID", "", "GitHub OAuth client id; enables GitHub login."),
        Option("CODER_OAUTH2_GITHUB_CLIENT_SECRET", "", "GitHub OAuth client secret.", secret=True),
        Option("CODER_OAUTH2_GITHUB_ALLOWED_ORGS", "", "Comma-separated GitHub organizations allowed to log in."),
        Option("CODER_OAUTH2_GITHUB_ALLOWED_TEAMS", "", "Comma-separated org/team slugs allowed to log in."),
        Option("CODER_OAUTH2_GITHUB_ALLOW_EVERYONE", "false", "Allow any GitHub user to log in."),
        Option("CODER_SECRET_KEY", "", "Django secret key; generated into the data dir when empty.", secret=True),
        Option("CODER_AIBRIDGE_ENABLED", "false", "Serve AI Bridge, the LLM gateway under /api/v2/aibridge.",
               flag="--aibridge-enabled"),
        Option("CODER_AIBRIDGE_OPENAI_KEY", "",
               "OpenAI API key AI Bridge sends upstream (falls back to OPENAI_API_KEY).",
               secret=True, flag="--aibridge-openai-key"),
        Option("CODER_AIBRIDGE_OPENAI_BASE_URL", "https://api.openai.com/v1/", "OpenAI API base URL.",
               flag="--aibridge-openai-base-url"),
        Option("CODER_AIBRIDGE_ANTHROPIC_KEY", "",
               "Anthropic API key AI Bridge sends upstream (falls back to ANTHROPIC_API_KEY).", secret=True,
               flag="--aibridge-anthropic-key"),
        Option("CODER_AIBRIDGE_ANTHROPIC_BASE_URL", "https://api.anthropic.com/", "Anthropic API base URL.",
               flag="--aibridge-anthropic-base-url"),
        Option("CODER_AIBRIDGE_RETENTION", "60d", "How long AI Bridge records are kept; 0 keeps them forever.",
               flag="--aibridge-retention"),
        Option("CODER_AIBRIDGE_MAX_CONCURRENCY", "0",
               "Most AI Bridge requests served at once by this web process (503 beyond); 0 disables.",
               flag="--aibridge-max-concurrency"),
        Option("CODER_AIBRIDGE_RATE_LIMIT", "0", "AI Bridge requests per minute per token (429 beyond); 0 disables.",
               flag="--aibridge-rate-limit"),
        Option("CODER_AIBRIDGE_STRUCTURED_LOGGING", "false",
               "Log every AI Bridge record (logger coderd.aibridgedserver) with its fields.",
               flag="--aibridge-structured-logging"),
        Option("CODER_PROMETHEUS_ENABLE", "false", "Expose Prometheus metrics."),
        Option("CODER_LOG_LEVEL", "INFO", "Server log level."),
    ]
}


def get(env: str) -> str:
    return OPTIONS[env].value


def get_bool(env: str) -> bool:
    return get(env).strip().lower() in {"1", "true", "yes", "on"}


def get_list(env: str) -> list[str]:
    return [part.strip() for part in get(env).split(",") if part.strip()]


def parse_duration(text: str) -> int:
    """Seconds in a Go-style duration such as `24h`, `90m`, `1h30m`, `45s`."""
    total, number = 0.0, ""
    units = {"h": 3600, "m": 60, "s": 1, "d": 86400}
    for char in text.strip():
        if char.isdigit() or char == ".":
            number += char
        elif char in units and number:
            total += float(number) * units[char]
            number = ""
        else:
            raise ValueError(f"invalid duration {text!r}")
    if number:
        raise ValueError(f"invalid duration {text!r}: missing unit")
    return int(total)


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
