"""Read-only panels that apps above `accounts` add to the user and group admin pages.

The dependency still points downward: `accounts` only shows what was registered here, and
the workspaces app registers its quota panels when its admin module loads. A panel has a
title and `render(request, obj) -> safe HTML`; it is shown below the form's fieldsets.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

CHANGE_FORM_TEMPLATE = "admin/change_form_with_panels.html"


@dataclass(frozen=True)
class Panel:
    title: str
    render: Callable  # (request, obj) -> SafeString


user_panels: list[Panel] = []
group_panels: list[Panel] = []


def register(panels: list[Panel], panel: Panel) -> None:
    if all(p.title != panel.title for p in panels):
        panels.append(panel)


def context(panels: list[Panel], request, obj) -> dict:
    """`extra_context` for a change view: the rendered panels of `obj`."""
    if obj is None:
        return {}
    return {"extension_panels": [{"title": p.title, "html": p.render(request, obj)} for p in panels]}
