"""Bytes out, no graph access: data formats, typeset tables, forest plots, network drawings."""
