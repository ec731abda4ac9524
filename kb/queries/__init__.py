"""SPARQL queries of the knowledge base: one question per .rq file, its header says what it answers."""

from __future__ import annotations

from functools import cache

from kb.paths import CHECKS_DIR, QUERIES_DIR


@cache
def query_text(name: str) -> str:
    """The text of kb/queries/<name>.rq (name may be 'checks/<rule>-violation')."""
    path = QUERIES_DIR / f"{name}.rq"
    if not path.is_file():
        raise KeyError(f"no query named {name!r} in {QUERIES_DIR}")
    return path.read_text(encoding="utf-8")


def check_names() -> list[str]:
    """The integrity rules, as names usable with query_text()."""
    return sorted(f"checks/{p.stem}" for p in CHECKS_DIR.glob("*-violation.rq"))
