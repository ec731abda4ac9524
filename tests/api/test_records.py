"""Curated records at their IRIs' paths: /id/NAME answers by content negotiation (HTML, Turtle, JSON-LD,
N-Triples), with identifiers linked where they resolve; every study, cohort, patient, claim and conflict
finding dereferences."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from rdflib import Graph, Literal, URIRef
from rdflib.compare import isomorphic

from api.app import create_app
from api.settings import Settings
from kb.knowledge_base import KnowledgeBase
from kb.namespaces import ID, MM


@pytest.fixture(scope="module")
def client(kb: KnowledgeBase) -> Iterator[TestClient]:
    with TestClient(create_app(kb, Settings.from_env(allowed_hosts=("testserver",)))) as test_client:
        yield test_client


def test_a_claim_dereferences_to_its_statements_and_evidence(client: TestClient) -> None:
    answer = client.get("/id/sirius-orr-lonial2016", headers={"accept": "text/turtle"})
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/turtle")
    graph = Graph().parse(data=answer.text, format="turtle")
    claim = ID["sirius-orr-lonial2016"]
    assert (claim, MM.numerator, Literal(31)) in graph
    assert (claim, MM.denominator, Literal(106)) in graph
    assert Literal("ORR 29.2% (31/106; 95% CI 20.8-38.9)") in set(graph.objects())


@pytest.mark.parametrize(
    ("accept", "fmt", "parse"),
    [("application/ld+json", "jsonld", "json-ld"), ("application/n-triples", "ntriples", "nt")],
)
def test_every_rdf_form_is_the_same_graph(client: TestClient, accept: str, fmt: str, parse: str) -> None:
    turtle = Graph().parse(
        data=client.get("/id/study-pollux", params={"format": "turtle"}).text, format="turtle"
    )
    by_accept = client.get("/id/study-pollux", headers={"accept": accept})
    by_format = client.get("/id/study-pollux", params={"format": fmt})
    assert by_accept.headers["content-type"].startswith(accept)
    assert by_accept.text == by_format.text
    assert isomorphic(Graph().parse(data=by_accept.text, format=parse), turtle)


def test_a_browser_gets_a_page_with_links_that_resolve(client: TestClient) -> None:
    browser = {"accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
    study = client.get("/id/study-pollux", headers=browser)
    assert study.headers["content-type"].startswith("text/html")
    assert '<a href="https://clinicaltrials.gov/study/NCT02076009">NCT02076009</a>' in study.text
    assert '<a href="/id/pub-dimopoulos-2016">id:pub-dimopoulos-2016</a>' in study.text
    article = client.get("/id/pub-gandhi-2019", headers=browser).text
    doi = "10.1038/s41375-019-0435-7"
    assert f'<a href="https://doi.org/{doi}">{doi}</a>' in article
    pmid = client.get("/id/secid-dimopoulos-2016-pmid", headers=browser).text
    assert '<a href="https://pubmed.ncbi.nlm.nih.gov/27705267/">27705267</a>' in pmid


def test_every_study_cohort_patient_claim_and_finding_dereferences(
    client: TestClient, kb: KnowledgeBase
) -> None:
    kinds = "mm:Study mm:Arm mm:Subgroup mm:PatientGroup mm:Patient mm:Claim mm:Conflict mm:ResolvedFinding"
    rows = kb.select(
        f"SELECT DISTINCT ?r WHERE {{ VALUES ?k {{ {kinds} }} ?r a/rdfs:subClassOf* ?k . FILTER(isIRI(?r)) }}"
    )
    records = sorted(str(r["r"]) for r in rows if str(r["r"]).startswith(str(ID)))
    assert len(records) > 300
    assert sum("/conflict-" in r for r in records) == 9  # the 8 conflict findings and the resolved one
    for iri in records:
        answer = client.get("/id/" + iri[len(str(ID)) :])
        assert answer.status_code == 200, iri
        assert (URIRef(iri), None, None) in Graph().parse(data=answer.text, format="turtle"), iri


def test_a_record_no_file_defines_is_404_and_a_bad_name_422(client: TestClient) -> None:
    missing = client.get("/id/study-nowhere")
    assert missing.status_code == 404 and missing.json()["error"] == "no record 'study-nowhere'"
    assert client.get("/id/study pollux").status_code == 422
