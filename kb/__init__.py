"""mmkb: a literature-evidence knowledge base for multiple-myeloma therapy."""

from __future__ import annotations

__version__ = "0.1.0"
