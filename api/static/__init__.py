"""The web page of the service (index.html, app.js, style.css) and the media types it is served with."""

from __future__ import annotations

from pathlib import Path

STATIC_DIR = Path(__file__).parent
MEDIA_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
}
