"""Escaping text for markup: the one helper for the SVG drawings, the HTML table and the service's pages."""

from __future__ import annotations


def escape(text: str) -> str:
    """Escape for element content and for quoted attribute values, in HTML, SVG and XML alike."""
    return (
        text.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace('"', "&quot;")
        .replace("'", "&apos;")
    )
