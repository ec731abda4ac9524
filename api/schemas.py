"""The response models that belong to the service alone. The records the knowledge base answers with
(kb.records dataclasses) are returned as they are: FastAPI describes and serializes them the same way."""

from __future__ import annotations

from pydantic import BaseModel, Field


class Health(BaseModel):
    status: str
    version: str
    triples: int


class Error(BaseModel):
    error: str
    valid: list[str] = Field(default_factory=list)


class Choice(BaseModel):
    value: str
    label: str


class Options(BaseModel):
    """Each option of /compare/{endpoint} and /plots/forest.svg: its values (the first is the default)
    and, for the filters, the names the knowledge base holds. `endpoint` lists what a comparison can be
    of, with the words a reader sees."""

    endpoint: list[Choice]
    by: list[Choice]
    threshold: list[Choice]
    ci: list[Choice]
    format: list[Choice]
    drug: list[str]
    drug_class: list[str]
    design: list[str]
