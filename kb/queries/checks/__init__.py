"""Integrity rules as SPARQL violation queries: zero rows means the rule holds."""
