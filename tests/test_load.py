"""Bad input gets a clear error naming the file, line and column; good files still load."""

from __future__ import annotations

from pathlib import Path

import pytest

from kb.graph.load import graph_iri, load
from kb.knowledge_base import KnowledgeBase, LoadFailed
from kb.paths import STUDIES_DIR, VOCABULARY_FILE

GOOD = """@prefix mm: <https://w3id.org/mmkb/vocab#> .
@prefix id: <https://w3id.org/mmkb/id/> .
id:x a mm:Study .
"""

BROKEN = """@prefix mm: <https://w3id.org/mmkb/vocab#> .
@prefix id: <https://w3id.org/mmkb/id/> .
id:y a mm:Study ;
    mm:alias "unterminated .
"""


def test_malformed_turtle_names_file_line_and_column(tmp_path: Path):
    good, bad = tmp_path / "good.ttl", tmp_path / "bad.ttl"
    good.write_text(GOOD)
    bad.write_text(BROKEN)
    loaded = load([good, bad])
    (error,) = loaded.errors
    assert error.file.endswith("bad.ttl")
    assert error.line == 4 and error.column is not None
    assert str(error).startswith(f"{error.file}:4:")
    # The good file and the ontology are loaded; nothing of the bad one is.
    assert loaded.store.ask("ASK { id:x a mm:Study }")
    assert not loaded.store.ask("ASK { id:y ?p ?o }")


def test_knowledge_base_refuses_bad_files_with_all_errors(tmp_path: Path):
    bad = tmp_path / "bad.ttl"
    bad.write_text(BROKEN)
    with pytest.raises(LoadFailed) as caught:
        KnowledgeBase.open([bad])
    assert "bad.ttl:4:" in str(caught.value)


def test_missing_file_and_unknown_type_are_errors(tmp_path: Path):
    unknown = tmp_path / "notes.txt"
    unknown.write_text("hello")
    loaded = load([tmp_path / "absent.ttl", unknown])
    messages = [str(e) for e in loaded.errors]
    assert len(messages) == 2
    assert "absent.ttl" in messages[0]
    assert "unknown RDF file type" in messages[1]


def test_other_rdf_formats_load(tmp_path: Path):
    nt = tmp_path / "one.nt"
    nt.write_text('<https://w3id.org/mmkb/id/z> <http://www.w3.org/2000/01/rdf-schema#label> "z" .\n')
    loaded = load([nt])
    assert not loaded.errors
    assert loaded.store.ask('ASK { id:z rdfs:label "z" }')


def test_shipped_files_get_stable_graph_names():
    assert graph_iri(VOCABULARY_FILE) == "https://w3id.org/mmkb/graph/ontology/mmkb.ttl"
    assert graph_iri(STUDIES_DIR / "sirius.ttl") == "https://w3id.org/mmkb/graph/data/studies/sirius.ttl"
