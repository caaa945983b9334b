"""Rendering a message from its template and payload: title and body (Markdown -> plain text and
HTML) and actions. Labels fill `$name` placeholders as text; nothing in a label is evaluated."""
from __future__ import annotations

import html
import re
import string
import threading
from dataclasses import dataclass

import markdown as md

from coderportal import config

_TAGS = re.compile(r"<[^>]+>")
_local = threading.local()


def _markdown(text: str) -> str:
    """Markdown to HTML with one converter per thread: building a converter costs more than using it."""
    converter = getattr(_local, "converter", None)
    if converter is None:
        converter = _local.converter = md.Markdown()
    return converter.reset().convert(text)


@dataclass(frozen=True)
class Rendered:
    title: str
    body_markdown: str
    body_text: str
    body_html: str
    title_markdown: str
    actions: list[dict]


def _fill(text: str, values: dict) -> str:
    return string.Template(text).safe_substitute(values)


def _plain(markdown_text: str) -> str:
    """Markdown to readable plain text: the HTML rendering with tags dropped."""
    return html.unescape(_TAGS.sub("", _markdown(markdown_text))).strip()


def render(template, payload: dict) -> Rendered:
    values = {"access_url": config.get("CODER_ACCESS_URL").rstrip("/"), "user_name": payload.get("user_name", ""),
              "user_username": payload.get("user_username", ""), "user_email": payload.get("user_email", "")}
    # Labels are escaped for Markdown's HTML so a label cannot inject markup into an email.
    labels = {k: html.escape(v, quote=False) for k, v in payload.get("labels", {}).items()}
    values.update(labels)
    title_md = _fill(template.title_template, values)
    body_md = _fill(template.body_template, values)
    actions = [{"label": _fill(a["label"], values), "url": _fill(a["url"], values)} for a in template.actions]
    return Rendered(title=_plain(title_md), title_markdown=title_md, body_markdown=body_md,
                    body_text=_plain(body_md), body_html=_markdown(body_md), actions=actions)
