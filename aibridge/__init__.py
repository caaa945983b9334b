"""AI Bridge: the LLM gateway between coding agents in workspaces and OpenAI / Anthropic.

Clients authenticate with their portal token; the portal holds the provider keys, relays
requests (streaming or not) and records every interception: who, which model, tokens,
prompts and tool calls.
"""
