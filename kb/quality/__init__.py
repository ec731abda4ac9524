"""Is the data right: validation, SHACL, canonical formatting, quote and locator checks."""
