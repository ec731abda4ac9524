"""The REST routes answer with the values the sources give, in the formats asked for."""

from __future__ import annotations

import concurrent.futures
import csv
import io
import json
import logging
import re
import threading
import time
import tomllib
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import uvicorn
from fastapi.testclient import TestClient
from rdflib import Dataset, URIRef
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from api.app import create_app
from api.http.server import protocol_class, server_config
from api.settings import Settings
from kb.analysis.questions import questions
from kb.analysis.response_table import CI_METHODS, GROUPINGS, PATIENT_ATTRIBUTES, THRESHOLDS
from kb.knowledge_base import KnowledgeBase
from kb.namespaces import ID
from kb.render.tables import CORE_COLUMNS, FORMATS
from tests.api.conftest import free_port, wait_until_up

# Starlette runs synchronous routes in AnyIO's default thread pool, of this many threads.
BUSY_THREADS = 40


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    with TestClient(create_app()) as test_client:
        yield test_client


def _csv_rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_health(client: TestClient) -> None:
    body = client.get("/health").json()
    assert body["status"] == "ok"
    assert body["version"]
    assert body["triples"] > 1000


def test_health_answers_while_every_worker_thread_is_busy(kb: KnowledgeBase) -> None:
    """Synchronous routes share one thread pool; /health is answered on the event loop, not queued."""
    settings = Settings.from_env(port=free_port())
    app = create_app(kb, settings)
    release = threading.Event()
    entered: list[int] = []

    def busy() -> dict[str, int]:
        entered.append(1)
        release.wait(30)
        return {}

    app.add_api_route("/busy", busy)
    server = uvicorn.Server(server_config(app, settings, log_level="warning"))
    base = f"http://127.0.0.1:{settings.port}"
    runner = threading.Thread(target=server.run, daemon=True)
    runner.start()
    requests = 60
    with concurrent.futures.ThreadPoolExecutor(requests) as clients:
        try:
            wait_until_up(base)
            answers = [clients.submit(httpx.get, f"{base}/busy?i={i}", timeout=40) for i in range(requests)]
            # Every thread taken and requests queued behind them: the count stops short of all of them.
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline and len(entered) < BUSY_THREADS:
                time.sleep(0.05)
            time.sleep(0.3)
            assert BUSY_THREADS <= len(entered) < requests
            started = time.monotonic()
            health = httpx.get(f"{base}/health", timeout=5)
            assert health.status_code == 200
            assert health.json()["triples"] == len(kb)
            assert time.monotonic() - started < 1
        finally:
            release.set()
            server.should_exit = True
        assert all(answer.result().status_code == 200 for answer in answers)
    runner.join(timeout=10)


def test_the_server_parses_http_with_httptools_a_declared_dependency() -> None:
    project = tomllib.loads((Path(__file__).resolve().parents[2] / "pyproject.toml").read_text())["project"]
    assert any(re.match(r"httptools\b", requirement) for requirement in project["dependencies"])
    assert issubclass(protocol_class(1.0), HttpToolsProtocol)


def test_studies_list_designs_publications_and_cohort_sizes(client: TestClient) -> None:
    studies = {s["id"]: s for s in client.get("/studies").json()}
    assert {"study-sirius", "study-pollux", "study-athens-dara-imid"} <= set(studies)
    sirius = studies["study-sirius"]
    assert sirius["design"] == "Phase2"
    assert isinstance(sirius["evidence_rank"], int)
    assert [p["id"] for p in sirius["publications"]] == ["pub-lonial-2016"]
    assert sirius["publications"][0]["doi"] == "10.1016/S0140-6736(15)01120-4"
    sizes = {c["id"]: c["sizes"] for c in sirius["cohorts"]}
    assert sizes["sirius-dara16"] == [106]


def test_study_pollux_lists_both_arms_and_their_regimens(client: TestClient) -> None:
    study = client.get("/studies/study-pollux").json()
    cohorts = {c["id"]: c for c in study["cohorts"]}
    assert cohorts["pollux-drd"]["sizes"] == [286]
    assert cohorts["pollux-rd"]["sizes"] == [283]
    assert not any(c.startswith("pollux-cut") for c in cohorts)
    regimens = {r["id"]: r for r in study["regimens"]}
    assert {"pollux-drd-regimen", "pollux-rd-regimen"} <= set(regimens)
    dara = next(c for c in regimens["pollux-drd-regimen"]["components"] if c["drug"] == "daratumumab")
    assert (dara["dose"], dara["unit"], dara["schedule"]) == (16, "mgPerKg", "DaratumumabApprovedSchedule")
    assert study["outcomes"]
    assert all(o["about"] in cohorts for o in study["outcomes"])


def test_study_typed_unknowns_are_local_names(client: TestClient) -> None:
    study = client.get("/studies/study-sirius").json()
    components = {c["id"]: c for r in study["regimens"] for c in r["components"]}
    assert components["sirius-dara8-mono-daratumumab"]["schedule"] == "NotReported"
    orr = next(o for o in study["outcomes"] if o["id"] == "sirius-orr-lonial2016")
    assert orr["values"]["numerator"] == 31
    assert orr["values"]["denominator"] == 106
    assert orr["source"]["pmid"] == "26778538"
    assert orr["verification"] == "ReadInPublicCopy"
    assert orr["evidence"][0]["exact"] == "ORR 29.2% (31/106; 95% CI 20.8-38.9)"


def test_unknown_study_is_404_listing_the_studies(client: TestClient) -> None:
    response = client.get("/studies/study-nowhere")
    assert response.status_code == 404
    assert "study-sirius" in response.json()["valid"]


def test_patients_of_athens_with_claims_and_table_locators(client: TestClient) -> None:
    body = client.get("/patients", params={"study": "study-athens-dara-imid"}).json()
    patients = {p["id"]: p for p in body["patients"]}
    assert len(patients) == 6
    p1 = {c["id"]: c for c in patients["athens-p1"]["claims"]}
    age = p1["athens-p1-age"]
    assert age["values"]["value"] == 58
    assert age["evidence"][0]["kind"] == "table"
    assert (age["evidence"][0]["table"], age["evidence"][0]["row"], age["evidence"][0]["column"]) == (
        "Table 1",
        "Age, y",
        "Patient 1",
    )
    assert p1["athens-p1-dara-imid-response"]["values"]["bestResponse"] == "PD"
    assert "athens-p1-sex" in p1 and "athens-p1-len-refractory" in p1


def test_patients_of_unknown_study_is_404(client: TestClient) -> None:
    assert client.get("/patients", params={"study": "study-nowhere"}).status_code == 404


def test_patients_without_study_is_422_json(client: TestClient) -> None:
    response = client.get("/patients")
    assert response.status_code == 422
    assert "study" in response.json()["error"]


def test_compare_csv_has_core_columns_first_and_the_sirius_row(client: TestClient) -> None:
    response = client.get("/compare/response-rate", params={"format": "csv"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    header = response.text.splitlines()[0].split(",")
    assert len(CORE_COLUMNS) == 15
    assert tuple(header[:15]) == CORE_COLUMNS
    sirius = next(r for r in _csv_rows(response.text) if r["study_id"].endswith("/study-sirius"))
    assert (sirius["responders"], sirius["n"]) == ("31", "106")
    assert (sirius["rate_pct"], sirius["ci_low_pct"], sirius["ci_high_pct"]) == ("29.2", "20.8", "38.9")


def test_compare_defaults_to_json(client: TestClient) -> None:
    response = client.get("/compare/response-rate")
    assert response.headers["content-type"].startswith("application/json")
    assert json.loads(response.text)


@pytest.mark.parametrize(
    ("accept", "media"),
    [
        ("application/json", "application/json"),
        ("text/csv", "text/csv"),
        ("text/markdown", "text/markdown"),
        ("text/html", "text/html"),
        ("text/plain;q=0.5, text/csv", "text/csv"),
        ("text/csv;q=0.4, text/html;q=0.9", "text/html"),
        ("text/csv;q=0, */*", "application/json"),
    ],
)
def test_compare_negotiates_on_accept(client: TestClient, accept: str, media: str) -> None:
    response = client.get("/compare/response-rate", headers={"Accept": accept})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith(media)


def test_compare_format_overrides_accept(client: TestClient) -> None:
    response = client.get("/compare/response-rate?format=md", headers={"Accept": "text/csv"})
    assert response.headers["content-type"].startswith("text/markdown")
    assert response.text.lstrip().startswith(("|", "#", "*", "Response")) or "|" in response.text


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_compare_every_format(client: TestClient, fmt: str) -> None:
    response = client.get("/compare/response-rate", params={"format": fmt})
    assert response.status_code == 200
    assert response.text


def test_compare_filters(client: TestClient) -> None:
    response = client.get(
        "/compare/response-rate", params={"format": "csv", "by": "study", "drug": "daratumumab", "min_n": 100}
    )
    rows = _csv_rows(response.text)
    assert rows
    assert all(int(r["n"]) >= 100 for r in rows)


@pytest.mark.parametrize(
    ("option", "valid"),
    [
        ("by", GROUPINGS + PATIENT_ATTRIBUTES),
        ("threshold", THRESHOLDS),
        ("ci", CI_METHODS),
        ("format", tuple(FORMATS)),
    ],
)
def test_compare_invalid_option_is_422_listing_valid_values(
    client: TestClient, option: str, valid: tuple[str, ...]
) -> None:
    response = client.get("/compare/response-rate", params={option: "nonsense"})
    assert response.status_code == 422
    body = response.json()
    assert option in body["error"]
    assert body["valid"] == list(valid)


def test_compare_bad_number_is_422_json(client: TestClient) -> None:
    response = client.get("/compare/response-rate", params={"min_n": "many"})
    assert response.status_code == 422
    assert "min_n" in response.json()["error"]


def test_forest_plot_is_svg(client: TestClient) -> None:
    response = client.get("/plots/forest.svg", params={"by": "study"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("image/svg+xml")
    assert response.text.startswith("<svg")
    assert "SIRIUS" in response.text


def test_forest_plot_invalid_threshold_is_422(client: TestClient) -> None:
    response = client.get("/plots/forest.svg", params={"threshold": "XR"})
    assert response.status_code == 422
    assert response.json()["valid"] == list(THRESHOLDS)


@pytest.mark.parametrize("kind", ["regimens", "citations"])
def test_network_json_graphml_svg(client: TestClient, kind: str) -> None:
    data = client.get(f"/network/{kind}").json()
    assert data["nodes"]
    graphml = client.get(f"/network/{kind}", params={"format": "graphml"})
    assert graphml.headers["content-type"].startswith("application/graphml+xml")
    assert "<graphml" in graphml.text
    svg = client.get(f"/network/{kind}", headers={"Accept": "image/svg+xml"})
    assert svg.headers["content-type"].startswith("image/svg+xml")
    assert "<svg" in svg.text


def test_network_unknown_kind_and_format(client: TestClient) -> None:
    unknown = client.get("/network/authors")
    assert unknown.status_code == 404
    assert unknown.json()["valid"] == ["regimens", "citations"]
    bad = client.get("/network/regimens", params={"format": "gif"})
    assert bad.status_code == 422
    assert bad.json()["valid"] == ["json", "graphml", "svg", "png", "pdf"]


@pytest.mark.parametrize("kind", ["regimens", "citations"])
def test_network_drawn_as_png_and_pdf(client: TestClient, kind: str) -> None:
    png = client.get(f"/network/{kind}", params={"format": "png"})
    assert png.headers["content-type"] == "image/png" and png.content.startswith(b"\x89PNG\r\n\x1a\n")
    pdf = client.get(f"/network/{kind}", headers={"Accept": "application/pdf"})
    assert pdf.headers["content-type"] == "application/pdf" and pdf.content.startswith(b"%PDF-")
    assert client.get(f"/network/{kind}", params={"format": "pdf"}).content == pdf.content  # deterministic


def test_conflicts_with_involved_claims_and_evidence(client: TestClient) -> None:
    findings = client.get("/conflicts").json()
    assert findings
    for finding in findings:
        assert finding["rule"] and finding["message"] and finding["involves"]
    involved = [i for f in findings for i in f["involves"]]
    assert any(i["source_label"] and i["evidence"] for i in involved)


def test_claim_pooled_pfs_has_median_4_and_its_quote(client: TestClient) -> None:
    claim = client.get("/claims/pooled-pfs-usmani2016").json()
    assert claim["types"] == ["TimeToEventMedian"]
    assert claim["about"] == "pooled-dara16"
    assert claim["values"]["median"] == 4
    assert claim["values"]["measures"] == "ProgressionFreeSurvival"
    assert claim["values"]["unit"] == "months"
    assert claim["source"]["label"].startswith("Usmani 2016")
    assert claim["verification"] == "ReadInPublicCopy"
    assert claim["derivation"] == "Reported"
    assert claim["evidence"][0]["exact"] == "PFS (V): median 4.0 months (95% CI 2.8-5.6)"
    assert claim["evidence"][0]["document"] == "digest-primary-reports"
    assert claim["curation"]["id"] == "curation-gen501-sirius-pooled"


def test_unknown_claim_is_404(client: TestClient) -> None:
    response = client.get("/claims/no-such-claim")
    assert response.status_code == 404
    assert "no-such-claim" in response.json()["error"]


def test_questions_list_and_run(client: TestClient) -> None:
    listed = client.get("/questions").json()
    assert [q["name"] for q in listed] == [q.name for q in questions()]
    answer = client.get("/questions/median-pfs").json()
    assert answer["columns"]
    assert answer["rows"]
    assert all(len(row) == len(answer["columns"]) for row in answer["rows"])
    assert all(isinstance(cell, str) for row in answer["rows"] for cell in row)


def test_unknown_question_is_404_listing_names(client: TestClient) -> None:
    response = client.get("/questions/what-is-love")
    assert response.status_code == 404
    assert "median-pfs" in response.json()["valid"]


@pytest.mark.parametrize(
    ("fmt", "media", "rdflib_format"),
    [
        ("turtle", "text/turtle", "turtle"),
        ("ntriples", "application/n-triples", "nt"),
        ("jsonld", "application/ld+json", "json-ld"),
        ("trig", "application/trig", "trig"),
        ("nquads", "application/n-quads", "nquads"),
        ("rdfxml", "application/rdf+xml", "xml"),
    ],
)
def test_export_parses_back(client: TestClient, fmt: str, media: str, rdflib_format: str) -> None:
    response = client.get("/export", params={"format": fmt})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith(media)
    dataset = Dataset(default_union=True)
    dataset.parse(data=response.content, format=rdflib_format)
    assert (URIRef("https://w3id.org/mmkb/id/study-sirius"), None, None) in dataset


def test_export_unknown_format_is_422(client: TestClient) -> None:
    response = client.get("/export", params={"format": "csv"})
    assert response.status_code == 422
    assert response.json()["valid"] == [
        "turtle",
        "ntriples",
        "jsonld",
        "trig",
        "nquads",
        "rdfxml",
        "tables",
        "fhir",
    ]


def test_export_leaves_out_the_inferred_graph_and_the_ontology_on_request(client: TestClient) -> None:
    full = client.get("/export", params={"format": "nquads"}).text
    parts = {"format": "nquads", "inferred": "false", "ontology": "false"}
    asserted = client.get("/export", params=parts).text
    assert "<https://w3id.org/mmkb/graph/inferred>" in full and "/graph/ontology/" in full
    assert "<https://w3id.org/mmkb/graph/inferred>" not in asserted and "/graph/ontology/" not in asserted
    assert asserted.splitlines()[0].startswith("# mmkb knowledge base export: the asserted statements")
    assert client.get("/export", params={"inferred": "maybe"}).status_code == 422


def test_openapi_docs(client: TestClient) -> None:
    assert client.get("/docs").status_code == 200
    paths = client.get("/openapi.json").json()["paths"]
    assert {"/health", "/studies/{study_id}", "/compare/response-rate", "/claims/{claim_id}"} <= set(paths)


def test_startup_logs_triples_studies_and_time(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="uvicorn.error.mmkb"), TestClient(create_app()):
        pass  # the knowledge base is opened when the app starts, not when it is built
    message = next(r.getMessage() for r in caplog.records if r.name == "uvicorn.error.mmkb")
    assert "triples" in message and "8 studies" in message


def test_create_app_serves_the_kb_it_is_given(client: TestClient) -> None:
    knowledge_base: KnowledgeBase = client.app.state.kb  # type: ignore[attr-defined]
    with TestClient(create_app(knowledge_base)) as other:
        assert other.app.state.kb is knowledge_base  # type: ignore[attr-defined]
        assert other.get("/health").json()["triples"] == len(knowledge_base)


def test_python_rest_and_sparql_agree(client: TestClient) -> None:
    """The responders of the SIRIUS response claim, asked three ways."""
    knowledge_base: KnowledgeBase = client.app.state.kb  # type: ignore[attr-defined]
    claim = ID["sirius-orr-lonial2016"]
    query = "SELECT ?x WHERE { ?claim mm:numerator ?x }"
    python = [int(r["x"].toPython()) for r in knowledge_base.select(query, {"claim": claim})]
    rest = client.get("/claims/sirius-orr-lonial2016").json()["values"]["numerator"]
    sparql_text = f"PREFIX mm: <https://w3id.org/mmkb/vocab#> SELECT ?x WHERE {{ <{claim}> mm:numerator ?x }}"
    response = client.get(
        "/sparql", params={"query": sparql_text}, headers={"Accept": "application/sparql-results+json"}
    )
    endpoint = [int(b["x"]["value"]) for b in response.json()["results"]["bindings"]]
    assert python == [rest] == endpoint == [31]
