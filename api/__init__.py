"""The mmkb HTTP service."""
