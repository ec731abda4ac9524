"""Bibliographic records and citation links."""
