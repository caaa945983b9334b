"""The `init_script` of coder_agent: the bootstrap a workspace runs to start its agent.

Contract (same shape as Coder's): run the script inside the workspace with
`CODER_AGENT_TOKEN` in its environment. It downloads the agent from

    GET <access URL>/bin/coder-agent?os=<os>&arch=<arch>

using curl, wget or python3 (whichever exists), retrying until the deployment answers,
then starts it with `CODER_AGENT_URL` (the access URL) and `CODER_AGENT_AUTH` (the agent's
`auth` type) exported, as `python3 ./coder-agent agent` when python3 exists (the agent is
a Python zipapp) and `./coder-agent agent` otherwise.

A deployment may replace the built-in script per platform by setting
`CODER_AGENT_SCRIPT_<os>_<arch>` (Coder's variable), in which `${ACCESS_URL}` and
`${AUTH_TYPE}` are substituted, as Coder's provider does.
"""

from __future__ import annotations

import os
from urllib.parse import urljoin

from .envvars import agent_script_env_var

AGENT_DOWNLOAD_PATH = "bin/coder-agent"

_POSIX = r"""#!/usr/bin/env sh
# Bootstraps the workspace agent. Needs CODER_AGENT_TOKEN in the environment.
set -eu
waitonexit() {
	echo "=== Agent script exited with non-zero code ($?). Sleeping 24h to preserve logs..."
	sleep 86400
}
trap waitonexit EXIT
BINARY_DIR="${CODER_AGENT_BINARY_DIR:-$(mktemp -d -t coder.XXXXXX)}"
BINARY_NAME=coder-agent
BINARY_URL="${ACCESS_URL}${DOWNLOAD_PATH}?os=${OS}&arch=${ARCH}"
cd "$BINARY_DIR"
while :; do
	status=0
	if command -v curl >/dev/null 2>&1; then
		curl -fsSL --compressed "$BINARY_URL" -o "$BINARY_NAME" && break
		status=$?
	elif command -v wget >/dev/null 2>&1; then
		wget -q "$BINARY_URL" -O "$BINARY_NAME" && break
		status=$?
	elif command -v python3 >/dev/null 2>&1; then
		python3 -c 'import sys, urllib.request as u; u.urlretrieve(sys.argv[1], sys.argv[2])' \
			"$BINARY_URL" "$BINARY_NAME" && break
		status=$?
	else
		echo "error: found no way to download the agent (need curl, wget or python3)"
		exit 1
	fi
	echo "error: failed to download the agent from $BINARY_URL (status $status); retrying in 30s"
	sleep 30
done
chmod +x "$BINARY_NAME" || true
export CODER_AGENT_AUTH="${AUTH_TYPE}"
export CODER_AGENT_URL="${ACCESS_URL}"
trap - EXIT
if command -v python3 >/dev/null 2>&1; then
	exec python3 "./$BINARY_NAME" agent
fi
exec "./$BINARY_NAME" agent
"""

_WINDOWS = r"""$ProgressPreference = "SilentlyContinue"
$ErrorActionPreference = "Stop"
# Bootstraps the workspace agent. Needs CODER_AGENT_TOKEN in the environment.
$BINARY_DIR = Join-Path $env:TEMP "coder-agent"
New-Item -ItemType Directory -Force -Path $BINARY_DIR | Out-Null
$BINARY_PATH = Join-Path $BINARY_DIR "coder-agent"
while ($true) {
	try {
		Invoke-WebRequest -Uri "${ACCESS_URL}${DOWNLOAD_PATH}?os=${OS}&arch=${ARCH}" -OutFile $BINARY_PATH
		break
	} catch {
		Write-Output "error: failed to download the agent: $_ ; retrying in 30s"
		Start-Sleep -Seconds 30
	}
}
$env:CODER_AGENT_AUTH = "${AUTH_TYPE}"
$env:CODER_AGENT_URL = "${ACCESS_URL}"
& python $BINARY_PATH agent
"""


def render_init_script(access_url: str, os_name: str, arch: str, auth: str) -> str:
    """The init script for an agent on `os_name`/`arch` authenticating with `auth`."""
    base = urljoin(access_url if access_url.endswith("/") else access_url + "/", "/")
    script = os.environ.get(agent_script_env_var(os_name, arch))
    if not script:
        script = _WINDOWS if os_name == "windows" else _POSIX
    replacements = {"${ACCESS_URL}": base, "${AUTH_TYPE}": auth,
                    "${DOWNLOAD_PATH}": AGENT_DOWNLOAD_PATH, "${OS}": os_name, "${ARCH}": arch}
    for token, value in replacements.items():
        script = script.replace(token, value)
    return script
