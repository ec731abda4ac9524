"""The vocabulary's documentation (kb/render/ontology_docs.py, `mmkb docs ontology`, GET /ontology) and the
ontology served at its namespace IRI's path with content negotiation (GET /vocab)."""

from __future__ import annotations

import html
import importlib.resources
import json
import re
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from rdflib import Graph, Literal, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import OWL, RDF, RDFS, SKOS

from api.app import create_app
from api.settings import Settings
from kb.cli import main
from kb.knowledge_base import KnowledgeBase
from kb.namespaces import MM, PREFIXES, SH, curie
from kb.paths import CONCEPTS_FILE, SHAPES_FILE, VOCABULARY_FILE, curated_files
from kb.render.ontology_docs import (
    EXAMPLE_LINES,
    INDEX,
    STYLESHEET,
    example_turtle,
    ontology_html,
    write_ontology_docs,
)

PROPERTY_TYPES = (RDF.Property, OWL.ObjectProperty, OWL.DatatypeProperty, OWL.AnnotationProperty)


class _Text(HTMLParser):
    """The text of a page, outside <script> and <style>."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._skip += tag in ("script", "style")

    def handle_endtag(self, tag: str) -> None:
        self._skip -= tag in ("script", "style")

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def _normal(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture(scope="module")
def page() -> str:
    return ontology_html()


@pytest.fixture(scope="module")
def text(page: str) -> str:
    parser = _Text()
    parser.feed(page)
    return _normal(" ".join(parser.parts))


@pytest.fixture(scope="module")
def vocabulary() -> Graph:
    return Graph().parse(VOCABULARY_FILE, format="turtle")


@pytest.fixture(scope="module")
def shapes() -> Graph:
    return Graph().parse(SHAPES_FILE, format="turtle")


def _section(page: str, section_id: str) -> str:
    start = page.index(f'<section id="{section_id}">')
    return page[start : page.index("</section>", start)]


def test_every_class_and_property_appears_with_its_definition(vocabulary: Graph, text: str) -> None:
    terms = {
        term
        for kind in (OWL.Class, *PROPERTY_TYPES)
        for term in vocabulary.subjects(RDF.type, kind)
        if str(term).startswith(str(MM))
    }
    assert len(terms) > 100
    missing = []
    for term in sorted(terms, key=str):
        definition = vocabulary.value(term, SKOS.definition)
        label = vocabulary.value(term, RDFS.label)
        if definition is None or _normal(str(definition)) not in text or _normal(str(label)) not in text:
            missing.append(curie(term))
    assert missing == []


def test_every_concept_appears_in_its_scheme_with_its_definition(page: str) -> None:
    concepts = Graph().parse(CONCEPTS_FILE, format="turtle")
    schemes = _section(page, "conceptschemes")
    missing = []
    for concept in sorted(set(concepts.subjects(SKOS.inScheme, None)), key=str):
        definition = concepts.value(concept, SKOS.definition)
        row = f"<tr><td><code>{html.escape(curie(concept))}</code></td>"
        if row not in schemes or (definition is not None and html.escape(str(definition)) not in schemes):
            missing.append(curie(concept))
    assert missing == []


def test_every_shape_constraint_appears_with_its_message(shapes: Graph, page: str) -> None:
    section = _section(page, "shapes")
    rows = {
        (html.unescape(path), html.unescape(message)): html.unescape(constraints)
        for path, constraints, message in re.findall(
            r"<tr><td><code>(.*?)</code></td><td><code>(.*?)</code></td><td>(.*?)</td></tr>", section
        )
    }
    checked = 0
    for shape in shapes.subjects(RDF.type, SH.NodeShape):
        assert html.escape(str(shape).rsplit("#", 1)[-1]) in section
        for message in shapes.objects(shape, SH.message):
            assert html.escape(str(message)) in section
        for prop in shapes.objects(shape, SH.property):
            path = shapes.value(prop, SH.path)
            message = shapes.value(prop, SH.message)
            constraints = rows[(curie(path) if str(path).startswith(str(MM)) else _shown(path), str(message))]
            for name in ("minCount", "maxCount", "class", "datatype"):
                value = shapes.value(prop, SH[name])
                if value is not None:
                    assert f"sh:{name} {_shown(value)}" in constraints
                    checked += 1
    assert checked > 100


def _shown(term: URIRef | Literal) -> str:
    if isinstance(term, Literal):
        return str(term)
    for prefix, iri in PREFIXES.items():
        if str(term).startswith(iri):
            return f"{prefix}:{str(term)[len(iri) :]}"
    return f"<{term}>"


def test_a_class_with_curated_records_shows_the_first_as_turtle(page: str) -> None:
    data = Graph()
    for path in curated_files():
        data.parse(path, format="turtle")
    study = min((s for s in data.subjects(RDF.type, MM.Study) if isinstance(s, URIRef)), key=str)
    examples = _section(page, "examples")
    shown = example_turtle(data, study)
    assert html.escape(shown) in examples
    assert len(shown.splitlines()) <= EXAMPLE_LINES + 1
    if not shown.endswith("more lines"):  # whole: it reads back as the record's description
        header = "".join(f"@prefix {p}: <{iri}> .\n" for p, iri in PREFIXES.items())
        assert isomorphic(Graph().parse(data=header + shown, format="turtle"), data.cbd(study))


def test_an_inferred_only_class_says_why_it_has_no_example(page: str) -> None:
    examples = _section(page, "examples")
    after = examples[examples.index('id="example-mm:Conflict"') :]
    assert after.split("<h3", 1)[0].count("only the reasoner writes these") == 1


def test_the_static_build_writes_index_html_and_its_stylesheet(tmp_path: Path) -> None:
    written = write_ontology_docs(tmp_path / "site")
    index = tmp_path / "site" / INDEX
    assert written == [index, tmp_path / "site" / STYLESHEET]
    page = index.read_text(encoding="utf-8")
    assert f'<link href="{STYLESHEET}" rel="stylesheet"' in page
    assert "<style>" not in page  # the service's Content-Security-Policy allows no inline style
    assert (tmp_path / "site" / STYLESHEET).stat().st_size > 0


def test_the_command_writes_the_site_and_refuses_a_file_for_a_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["docs", "ontology", "--out", str(tmp_path / "docs")]) == 0
    assert (tmp_path / "docs" / INDEX).is_file()
    capsys.readouterr()
    assert main(["docs", "ontology", "--out", str(tmp_path / "docs" / INDEX)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "is a file; give a folder for --out" in err


@pytest.fixture(scope="module")
def client(kb: KnowledgeBase) -> Iterator[TestClient]:
    with TestClient(create_app(kb, Settings.from_env(allowed_hosts=("testserver",)))) as test_client:
        yield test_client


@pytest.fixture(scope="module")
def published() -> Graph:
    graph = Graph().parse(VOCABULARY_FILE, format="turtle")
    return graph.parse(CONCEPTS_FILE, format="turtle")


def test_the_documentation_is_served_with_its_stylesheet(client: TestClient) -> None:
    answer = client.get("/ontology")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/html")
    assert '<link href="/ontology/pylode.css" rel="stylesheet"' in answer.text
    assert '<section id="shapes">' in answer.text
    css = client.get("/ontology/pylode.css")
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")


@pytest.mark.parametrize(
    ("accept", "media_type", "rdf_format"),
    [
        ("text/turtle", "text/turtle", "turtle"),
        ("application/ld+json", "application/ld+json", "json-ld"),
        ("application/n-triples", "application/n-triples", "nt"),
        ("application/rdf+xml;q=0.9, application/n-triples;q=0.5", "application/n-triples", "nt"),
        ("*/*", "text/turtle", "turtle"),
        ("image/png", "text/turtle", "turtle"),  # nothing offered is acceptable: the default, Turtle
    ],
)
def test_the_vocabulary_is_served_as_asked(
    client: TestClient, published: Graph, accept: str, media_type: str, rdf_format: str
) -> None:
    answer = client.get("/vocab", headers={"accept": accept})
    assert answer.status_code == 200
    assert answer.headers["content-type"].split(";")[0] == media_type
    assert answer.headers["vary"] == "Accept"
    if rdf_format == "json-ld":
        assert isinstance(json.loads(answer.content), list | dict)
    assert isomorphic(Graph().parse(data=answer.content, format=rdf_format), published)


def test_a_browser_asking_for_the_vocabulary_gets_the_documentation(client: TestClient) -> None:
    accept = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
    answer = client.get("/vocab", headers={"accept": accept})
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/html")
    assert '<section id="conceptschemes">' in answer.text


def test_format_overrides_accept_and_an_unknown_format_is_refused(
    client: TestClient, published: Graph
) -> None:
    answer = client.get("/vocab", params={"format": "ntriples"}, headers={"accept": "text/html"})
    assert answer.headers["content-type"].split(";")[0] == "application/n-triples"
    assert isomorphic(Graph().parse(data=answer.content, format="nt"), published)
    refused = client.get("/vocab", params={"format": "rdfxml"})
    assert refused.status_code == 422
    assert "turtle" in refused.text


def test_a_read_only_pylode_folder_without_its_cache_is_copied_and_the_page_still_built(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """pyLODE writes its cache into its own folder on first use; where that folder cannot be written (an
    install read-only to the service's user: os.access says so, as root it never would here) and holds no
    cache, the documentation reads a temporary copy instead of failing."""
    import shutil
    import types

    from kb.render import ontology_docs

    shipped = Path(str(importlib.resources.files("pylode"))) / "rdf"
    folder = tmp_path / "rdf"
    shutil.copytree(shipped, folder, ignore=shutil.ignore_patterns("*.pickle"))
    utils = types.SimpleNamespace(RDF_FOLDER=folder)
    monkeypatch.setattr(ontology_docs.os, "access", lambda path, mode: Path(path) != folder)
    ontology_docs._writable_cache(utils)
    assert folder != utils.RDF_FOLDER
    assert sorted(p.name for p in utils.RDF_FOLDER.iterdir()) == sorted(p.name for p in folder.iterdir())
    assert not list(folder.glob("*.pickle"))  # nothing written into the read-only folder
    writable = types.SimpleNamespace(RDF_FOLDER=folder)
    monkeypatch.setattr(ontology_docs.os, "access", lambda path, mode: True)
    ontology_docs._writable_cache(writable)
    assert folder == writable.RDF_FOLDER  # a folder that can be written is used as it is
