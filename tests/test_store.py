"""The store seam: location strings, and queries that really run on Oxigraph's engine."""

from __future__ import annotations

import pytest
import rdflib.plugins.sparql.processor as rdflib_processor
from rdflib import URIRef
from rdflib.plugins.sparql import prepareQuery

from kb.graph.store import Location, LocationError, OxigraphGraphStore
from kb.knowledge_base import KnowledgeBase
from kb.namespaces import MM
from kb.paths import QUERIES_DIR, curated_files
from kb.queries import check_names, query_text


class RdflibEngineUsed(AssertionError):
    pass


@pytest.fixture
def no_rdflib_engine(monkeypatch):
    """Make rdflib's own SPARQL engine fail loudly, so that any fallback to it is caught."""

    def refuse(*args, **kwargs):
        raise RdflibEngineUsed("rdflib's SPARQL engine was used instead of Oxigraph's")

    monkeypatch.setattr(rdflib_processor, "evalQuery", refuse)
    monkeypatch.setattr(rdflib_processor, "evalUpdate", refuse)


def test_guard_catches_a_fallback(kb, no_rdflib_engine):
    # A prepared query is the documented trap: rdflib evaluates it itself. The guard must notice.
    prepared = prepareQuery("SELECT ?s WHERE { ?s a ?t } LIMIT 1")
    with pytest.raises(RdflibEngineUsed):
        kb.store.dataset.query(prepared)


def test_every_library_query_runs_on_oxigraph(kb, no_rdflib_engine):
    names = [p.stem for p in QUERIES_DIR.glob("*.rq")] + check_names()
    assert len(names) >= 10
    for name in names:
        kb.store.query(query_text(name))


def test_bound_query_runs_on_oxigraph(kb, no_rdflib_engine):
    rows = kb.select("SELECT ?rank WHERE { ?c mm:responseRank ?rank }", {"c": MM.VGPR})
    assert [int(r["rank"]) for r in rows] == [5]


def test_knowledge_base_builds_without_rdflib_engine(no_rdflib_engine):
    assert len(KnowledgeBase.open()) > 1000


@pytest.mark.parametrize(
    ("text", "kind"),
    [(None, "memory"), ("", "memory"), ("memory", "memory"), ("oxigraph:/tmp/x", "oxigraph")],
)
def test_location_strings(text, kind):
    assert Location.parse(text).kind == kind


@pytest.mark.parametrize("text", ["sparql:http://example.org/sparql", "oxigraph:", "postgres://x"])
def test_unknown_location_lists_the_valid_ones(text):
    with pytest.raises(LocationError, match=r"memory|directory"):
        Location.parse(text)


def test_on_disk_store_answers_like_memory(tmp_path):
    on_disk = KnowledgeBase.open(location=f"oxigraph:{tmp_path / 'store'}")
    in_memory = KnowledgeBase.open()
    query = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
    assert int(on_disk.select(query)[0]["n"]) == int(in_memory.select(query)[0]["n"]) > 0
    assert (tmp_path / "store").is_dir()


def test_one_named_graph_per_file():
    store = OxigraphGraphStore()
    for i, path in enumerate(curated_files()[:2]):
        store.parse_file(path, f"urn:test:{i}")
    assert store.graph_names() == ["urn:test:0", "urn:test:1"]
    rows = store.select("SELECT ?g WHERE { GRAPH ?g { ?s a ?t } } GROUP BY ?g ORDER BY ?g")
    assert [r["g"] for r in rows] == [URIRef("urn:test:0"), URIRef("urn:test:1")]
