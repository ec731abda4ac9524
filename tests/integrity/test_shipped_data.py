"""Integrity tests on the shipped curated data: each failure names the bad record and the fix."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from rdflib import Literal, URIRef

from kb.paths import curated_files, display_path
from kb.quality.lint import FIX_COMMAND, canonical
from kb.quality.provenance import check_text, normalize
from kb.queries import query_text

# Terms of other vocabularies the data and ontology may use (see ontology/README.md).
EXTERNAL_VOCABULARY = {
    "http://www.w3.org/1999/02/22-rdf-syntax-ns#": "type first rest Property",
    "http://www.w3.org/2000/01/rdf-schema#": "label comment domain range subClassOf subPropertyOf",
    "http://www.w3.org/2002/07/owl#": "Class AnnotationProperty DatatypeProperty ObjectProperty "
    "TransitiveProperty Ontology versionIRI versionInfo imports",
    "http://www.w3.org/2004/02/skos/core#": "Concept ConceptScheme broader definition inScheme notation "
    "prefLabel altLabel",
    "http://www.w3.org/ns/oa#": "SpecificResource TextQuoteSelector exact prefix suffix hasSelector "
    "hasSource",
    "http://www.w3.org/ns/prov#": "Agent Activity Entity endedAtTime wasAssociatedWith wasDerivedFrom "
    "wasGeneratedBy",
    "http://purl.org/dc/terms/": "available creator description isPartOf issued license title",
    "http://purl.org/ontology/bibo/": "Journal Document AcademicArticle authorList contributorList doi issue "
    "pageEnd pageStart pmid volume",
}
EXTERNAL_TERMS = {ns + name for ns, names in EXTERNAL_VOCABULARY.items() for name in names.split()}


def test_shipped_knowledge_base_is_valid(report):
    problems = [str(v) for v in report.violations] + [str(e) for e in report.load_errors]
    assert not problems, "\n".join(problems)


def test_every_term_used_is_declared(kb):
    rows = kb.select("""
        SELECT DISTINCT ?term WHERE { { ?s ?term ?o } UNION { ?s a ?term } }""")
    used = {str(r["term"]) for r in rows}
    mm_terms = {t for t in used if t.startswith("https://w3id.org/mmkb/vocab#")}
    declared = {
        str(r["t"])
        for r in kb.select("""
        SELECT DISTINCT ?t WHERE { GRAPH ?g { ?t ?p ?o }
          FILTER(STRSTARTS(STR(?g), "https://w3id.org/mmkb/graph/ontology/")) }""")
    }
    assert mm_terms - declared == set()
    foreign = {t for t in used if not t.startswith("https://w3id.org/mmkb/")}
    assert foreign - EXTERNAL_TERMS == set(), "terms of other vocabularies not in the reviewed list"


def test_every_ontology_term_has_label_and_definition(kb):
    rows = kb.select("""
        SELECT ?term WHERE {
          GRAPH ?g { ?term a ?kind }
          FILTER(STRSTARTS(STR(?g), "https://w3id.org/mmkb/graph/ontology/"))
          FILTER(STRSTARTS(STR(?term), "https://w3id.org/mmkb/vocab#"))
          FILTER(?kind IN (owl:Class, owl:ObjectProperty, owl:DatatypeProperty, rdf:Property))
          FILTER NOT EXISTS { ?term rdfs:label ?l . ?term skos:definition ?d }
        }""")
    assert [str(r["term"]) for r in rows] == []
    concepts = kb.select("""
        SELECT ?c WHERE {
          ?c skos:inScheme ?scheme .
          FILTER NOT EXISTS { ?c skos:prefLabel ?l . ?c skos:definition ?d }
        }""")
    assert [str(r["c"]) for r in concepts] == []


def test_record_ids_are_unique_across_files(kb):
    rows = kb.select("""
        SELECT ?record (COUNT(DISTINCT ?g) AS ?files) WHERE {
          GRAPH ?g { ?record a ?t } FILTER(isIRI(?record))
        }
        GROUP BY ?record HAVING (COUNT(DISTINCT ?g) > 1)""")
    assert [str(r["record"]) for r in rows] == []


def test_claims_and_records_have_stable_iris(kb):
    rows = kb.select("""
        SELECT ?x WHERE {
          ?x a ?t . ?t rdfs:subClassOf* ?top .
          FILTER(?top IN (mm:Claim, mm:Cohort, mm:Study, mm:Patient, mm:Regimen, mm:DrugSet, mm:Publication))
          FILTER(isBlank(?x))
        }""")
    assert rows == []


IDENTIFIER_PATTERNS = {
    "bibo:doi": re.compile(r"^10\.\d{4,9}/\S+$"),
    "bibo:pmid": re.compile(r"^[1-9]\d{0,8}$"),
    "mm:nctId": re.compile(r"^NCT\d{8}$"),
}


@pytest.mark.parametrize("prop", sorted(IDENTIFIER_PATTERNS))
def test_identifiers_are_well_formed(kb, prop):
    rows = kb.select(f"SELECT ?x ?v WHERE {{ ?x {prop} ?v }}")
    assert rows, f"no {prop} in the knowledge base"
    bad = [(str(r["x"]), str(r["v"])) for r in rows if not IDENTIFIER_PATTERNS[prop].match(str(r["v"]))]
    assert bad == []


def test_leads_that_nobody_verified_are_not_recorded(kb):
    # primary-reports.md tags these L: they must not appear as facts.
    for lead in ("10.1182/blood-2016-03-705210", "27216216", "NCT00574288", "10.1056/NEJMoa1607751"):
        assert not kb.store.ask("ASK { ?s ?p ?o . FILTER(STR(?o) = ?lead) }", {"lead": Literal(lead)}), lead
    # SIRIUS medians are unknown (leads only: 7.4, 3.7 and 17.5 months).
    rows = kb.select("""
        SELECT ?m ?median WHERE {
          ?m a mm:TimeToEventMedian ; mm:about id:sirius-dara16 ; mm:median ?median
        }""")
    assert rows and all(r["median"] == URIRef("https://w3id.org/mmkb/vocab#NotReported") for r in rows)


def _selector_rows(kb, document: str) -> list[dict]:
    return kb.select(
        query_text("quote-selectors"), {"document": URIRef("https://w3id.org/mmkb/id/" + document)}
    )


@pytest.mark.parametrize(
    ("document", "text_file"), [("pub-letter-athens", "letter"), ("digest-primary-reports", "digest")]
)
def test_every_selector_matches_its_source_text(kb, sources, document, text_file):
    if not sources["shared"].is_dir():
        pytest.skip("no shared sources here; test_selectors_on_the_letter_excerpt_fixture runs instead")
    rows = _selector_rows(kb, document)
    checked, mismatches = check_text(sources[text_file].read_text(encoding="utf-8"), rows)
    assert checked > 100
    assert [str(m) for m in mismatches] == []


def test_selectors_on_the_letter_excerpt_fixture(kb, sources):
    # Offline check (no shared folder needed): every quote that lies in the case-series paragraph
    # matches a verbatim excerpt of it, and a quote from elsewhere in the letter does not.
    excerpt = sources["excerpt"].read_text(encoding="utf-8")
    rows = [r for r in _selector_rows(kb, "pub-letter-athens") if str(r["kind"]) == "quote"]
    keys = ("5 out of 6 patients", "bortezomib refractory")
    inside = [r for r in rows if any(k in str(r["exact"]) for k in keys)]
    assert len(inside) >= 2
    assert check_text(excerpt, inside)[1] == []
    outside = [r for r in rows if "median duration of response was 7.6" in normalize(str(r["exact"]))]
    assert outside and len(check_text(excerpt, outside)[1]) == len(outside)


@pytest.mark.parametrize("path", curated_files(), ids=lambda p: p.name)
def test_curated_file_is_canonical(path: Path):
    text = path.read_text(encoding="utf-8")
    assert canonical(text, source=path.resolve().as_uri()) == text, (
        f"{display_path(path)} is not in canonical form: run `{FIX_COMMAND}`"
    )
