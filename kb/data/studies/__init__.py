"""Curated studies: one Turtle file per study."""
