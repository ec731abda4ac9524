"""Dependencies injected into the routes: the app's knowledge base (given to create_app or opened once
when the app starts) and the id parameter type."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path, Query, Request

from kb.knowledge_base import KnowledgeBase

# Local names of the id: namespace (study-pollux, sirius-orr-lonial2016): IRI-safe without escaping.
ID_PATTERN = r"^[A-Za-z0-9._~-]+$"
ID_HELP = "letters, digits, '-', '.', '_' or '~'"


def get_kb(request: Request) -> KnowledgeBase:
    kb: KnowledgeBase = request.app.state.kb
    return kb


KBDep = Annotated[KnowledgeBase, Depends(get_kb)]


def id_path(example: str) -> object:
    """A path parameter holding an id, e.g. `example`."""
    return Path(pattern=ID_PATTERN, description=f"an id ({ID_HELP}), e.g. {example}", examples=[example])


def id_query(example: str) -> object:
    """A query parameter holding an id, e.g. `example`."""
    return Query(pattern=ID_PATTERN, description=f"an id ({ID_HELP}), e.g. {example}", examples=[example])
