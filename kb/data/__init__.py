"""The curated evidence, one Turtle file per study or bibliography."""
