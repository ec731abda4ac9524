"""Dependencies injected into the routes: the knowledge base built once by create_app."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from kb.knowledge_base import KnowledgeBase


def get_kb(request: Request) -> KnowledgeBase:
    kb: KnowledgeBase = request.app.state.kb
    return kb


KBDep = Annotated[KnowledgeBase, Depends(get_kb)]
