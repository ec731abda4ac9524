"""Every named question gives the same answer through the library, REST and the CLI.

Each surface shows a term its own way: the library returns rdflib terms, REST the string of each term
(full IRIs), the CLI abbreviates mm: and id: IRIs. All three are brought to one form, a row of cell
strings in the question's `returns` order with full IRIs, literals as their lexical form and "" for
unbound, and compared in order (every question sorts its answer).
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from rdflib import Literal, URIRef
from rdflib.term import Node

from api.app import create_app
from api.settings import Settings
from kb.analysis.questions import Question, questions
from kb.cli import main
from kb.knowledge_base import KnowledgeBase
from kb.namespaces import PREFIXES

QUESTIONS = questions()
# The prefixes the CLI abbreviates IRIs with in its cells.
CLI_PREFIXES = {f"{name}:": PREFIXES[name] for name in ("mm", "id")}

Row = tuple[str, ...]


def library_cell(term: Node | None) -> str:
    if term is None:
        return ""
    assert isinstance(term, URIRef | Literal), f"a question returned a {type(term).__name__}: {term}"
    return str(term)


def cli_cell(text: str) -> str:
    for prefix, iri in CLI_PREFIXES.items():
        if text.startswith(prefix):
            return iri + text[len(prefix) :]
    return text


@pytest.fixture(scope="module")
def client(kb: KnowledgeBase) -> Iterator[TestClient]:
    settings = Settings.from_env(allowed_hosts=("testserver",))
    with TestClient(create_app(kb, settings)) as test_client:
        yield test_client


def from_library(kb: KnowledgeBase, q: Question) -> list[Row]:
    return [tuple(library_cell(row.get(c)) for c in q.returns) for row in kb.select(q.text)]


def from_rest(client: TestClient, q: Question) -> list[Row]:
    response = client.get(f"/questions/{q.name}")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["columns"] == list(q.returns)
    return [tuple(row) for row in body["rows"]]


def from_cli(q: Question, capsys: pytest.CaptureFixture[str]) -> list[Row]:
    capsys.readouterr()
    assert main(["query", "--name", q.name, "--format", "json"]) == 0
    records = json.loads(capsys.readouterr().out)
    for record in records:
        assert list(record) == list(q.returns), f"CLI columns {list(record)} for {q.name}"
    return [tuple(cli_cell(record[c]) for c in q.returns) for record in records]


def test_there_are_questions_to_compare() -> None:
    assert len(QUESTIONS) >= 10


@pytest.mark.parametrize("q", QUESTIONS, ids=[q.name for q in QUESTIONS])
def test_library_rest_and_cli_agree(
    q: Question, kb: KnowledgeBase, client: TestClient, capsys: pytest.CaptureFixture[str]
) -> None:
    library = from_library(kb, q)
    assert from_rest(client, q) == library, f"REST and the library differ on {q.name}"
    assert from_cli(q, capsys) == library, f"the CLI and the library differ on {q.name}"


def test_most_questions_have_an_answer_to_agree_on(kb: KnowledgeBase) -> None:
    answered = [q.name for q in QUESTIONS if kb.select(q.text)]
    assert len(answered) >= len(QUESTIONS) // 2, f"only {answered} return rows"


def test_an_unknown_question_is_refused_by_rest_and_cli(
    client: TestClient, capsys: pytest.CaptureFixture[str]
) -> None:
    assert client.get("/questions/no-such-question").status_code == 404
    assert main(["query", "--name", "no-such-question", "--format", "json"]) != 0
    assert "no-such-question" in capsys.readouterr().err
