"""Tooltips that show a prompt: one length limit, one escaping, one way to wrap."""

from __future__ import annotations

PROMPT_TIP_CHARS = 300
"""A longer prompt is cut here in a tooltip (the details panel shows it whole)."""


def escaped(text: str) -> str:
    """``text`` safe to put into a rich-text tooltip."""
    import html  # with its entity table, only once a tooltip is asked for

    return html.escape(text, quote=False)


def prompt_html(prompt: str, *, empty: str = "No prompt") -> str:
    """The prompt for a tooltip, escaped and cut at ``PROMPT_TIP_CHARS``; ``empty`` in italics when there is none."""
    if not prompt:
        return f"<i>{escaped(empty)}</i>"
    cut = prompt if len(prompt) <= PROMPT_TIP_CHARS else prompt[:PROMPT_TIP_CHARS].rstrip() + "…"
    return escaped(cut)


def rich_tooltip(*lines: str) -> str:
    """Rich-text lines (empty ones left out) as one tooltip: rich text so Qt wraps a long prompt instead of
    showing one endless line."""
    return "<qt>" + "<br>".join(line for line in lines if line) + "</qt>"
