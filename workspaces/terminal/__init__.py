"""Relaying byte streams between clients and workspace agents: the web terminal
(reconnecting PTY) and TCP/SSH streams, over websockets and the Channels layer."""
