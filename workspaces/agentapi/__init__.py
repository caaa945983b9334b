"""The agent API: endpoints the workspace agent calls with its token (manifest, lifecycle,
logs, metadata, stats), the client endpoints reading what agents reported (logs,
listening ports, metadata), and the agent download (`/bin/coder-agent`)."""
