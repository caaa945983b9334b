"""Webhook delivery: Coder's JSON body, or the message as Slack or Microsoft Teams expect it.

Every request is `POST` JSON with `X-Message-Id`; a transport error, a timeout or a non-2xx
response is retryable (as in Coder); the first 512 bytes of a refusal are kept as the error.
"""
from __future__ import annotations

import httpx

from notifications.dispatch import DeliveryError


def coder_body(message_id: str, payload: dict, rendered) -> dict:
    return {"_version": "1.1", "msg_id": message_id, "payload": {**payload, "actions": rendered.actions},
            "title": rendered.title, "title_markdown": rendered.title_markdown,
            "body": rendered.body_text, "body_markdown": rendered.body_markdown}


def slack_body(message_id: str, payload: dict, rendered) -> dict:
    """A Slack incoming-webhook message: `text` as the fallback, Block Kit for the layout."""
    blocks = [{"type": "header", "text": {"type": "plain_text", "text": rendered.title[:150]}},
              {"type": "section", "text": {"type": "mrkdwn", "text": rendered.body_text[:3000]}}]
    if rendered.actions:
        blocks.append({"type": "actions", "elements": [
            {"type": "button", "text": {"type": "plain_text", "text": a["label"][:75]}, "url": a["url"]}
            for a in rendered.actions[:5]]})
    return {"text": rendered.title, "blocks": blocks}


def teams_body(message_id: str, payload: dict, rendered) -> dict:
    """A Teams workflow ("Post to a channel when a webhook request is received") message: an Adaptive Card."""
    card = {"$schema": "http://adaptivecards.io/schemas/adaptive-card.json", "type": "AdaptiveCard",
            "version": "1.4",
            "body": [{"type": "TextBlock", "text": rendered.title, "weight": "Bolder", "size": "Medium",
                      "wrap": True},
                     {"type": "TextBlock", "text": rendered.body_markdown, "wrap": True}],
            "actions": [{"type": "Action.OpenUrl", "title": a["label"], "url": a["url"]} for a in rendered.actions]}
    return {"type": "message", "attachments": [
        {"contentType": "application/vnd.microsoft.card.adaptive", "contentUrl": None, "content": card}]}


FORMATS = {"coder": coder_body, "slack": slack_body, "teams": teams_body}


def send(endpoint: str, fmt: str, message_id: str, payload: dict, rendered, *, timeout: float,
         client: httpx.Client | None = None) -> None:
    if not endpoint:
        raise DeliveryError("no webhook endpoint is configured (CODER_NOTIFICATIONS_WEBHOOK_ENDPOINT)",
                            retryable=False)
    body = FORMATS[fmt](message_id, payload, rendered)
    headers = {"X-Message-Id": message_id}
    try:
        if client is not None:
            response = client.post(endpoint, json=body, headers=headers, timeout=timeout)
        else:
            response = httpx.post(endpoint, json=body, headers=headers, timeout=timeout)
    except httpx.HTTPError as exc:
        raise DeliveryError(f"webhook: {type(exc).__name__}: {exc}") from None
    if not 200 <= response.status_code < 300:
        raise DeliveryError(f"webhook: HTTP {response.status_code}: {response.text[:512]}")
