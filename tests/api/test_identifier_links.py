"""Identifiers people can follow, in every output: a publication's DOI as its doi.org link and its PMID as
its PubMed link, a study's registry number as its ClinicalTrials.gov link, and each record's IRI, which
the service dereferences at /id/NAME. On the shipped data: SIRIUS (NCT01985126), reported in Lonial 2016
(DOI 10.1016/S0140-6736(15)01120-4, PMID 26778538)."""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait

from api.app import create_app
from api.settings import Settings
from kb.cli import main
from kb.graph.bulk_tables import DICTIONARY, tables_zip
from kb.knowledge_base import KnowledgeBase
from kb.namespaces import ID_IRI
from kb.render.tables import FORMATS
from tests.api.test_browser import WAIT_SECONDS, browser

__all__ = ["browser"]

STUDY = "study-sirius"
NCT = "NCT01985126"
REGISTRY = f"https://clinicaltrials.gov/study/{NCT}"
PUBLICATION = "pub-lonial-2016"
DOI = "https://doi.org/10.1016/S0140-6736(15)01120-4"
PUBMED = "https://pubmed.ncbi.nlm.nih.gov/26778538/"
CLAIM = "sirius-orr-lonial2016"
LETTER = f"{ID_IRI}pub-letter-athens"  # no DOI or PMID: a source links to its own record


@pytest.fixture(scope="module")
def client(kb: KnowledgeBase) -> Iterator[TestClient]:
    with TestClient(create_app(kb, Settings.from_env(allowed_hosts=("testserver",)))) as test_client:
        yield test_client


def dereferences(client: TestClient, iri: str) -> None:
    """The IRI is a curated record's, https://w3id.org/mmkb/id/NAME, and the service answers /id/NAME with
    its statements."""
    assert iri.startswith(ID_IRI), iri
    response = client.get(f"/id/{iri.removeprefix(ID_IRI)}", headers={"Accept": "text/turtle"})
    assert response.status_code == 200, iri
    assert response.headers["content-type"].startswith("text/turtle")
    assert f"<{iri}>" in response.text or f"id:{iri.removeprefix(ID_IRI)}" in response.text


def _cli(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    capsys.readouterr()
    assert main(list(args)) == 0
    return capsys.readouterr().out


# --- REST JSON -------------------------------------------------------------------------------------


def test_rest_study_links_its_registry_number_and_publications(client: TestClient) -> None:
    study = client.get(f"/studies/{STUDY}").json()
    assert study["registrations"] == [{"nct_id": NCT, "url": REGISTRY}]
    (publication,) = [p for p in study["publications"] if p["id"] == PUBLICATION]
    assert publication["doi"] == DOI.removeprefix("https://doi.org/") and publication["doi_url"] == DOI
    assert publication["pmid"] == "26778538" and publication["pubmed_url"] == PUBMED
    listed = {s["id"]: s for s in client.get("/studies").json()}
    assert listed[STUDY]["registrations"] == study["registrations"]
    assert listed["study-athens-dara-imid"]["registrations"] == [], "no registry number is made up"
    letter = listed["study-athens-dara-imid"]["publications"][0]
    assert letter["doi"] == letter["doi_url"] == letter["pubmed_url"] == ""


def test_rest_records_carry_iris_that_dereference(client: TestClient) -> None:
    study = client.get(f"/studies/{STUDY}").json()
    iris = [study["iri"], *(c["iri"] for c in study["cohorts"]), *(p["iri"] for p in study["publications"])]
    iris += [r["iri"] for r in study["regimens"]]
    outcome = study["outcomes"][0]
    iris += [outcome["iri"], outcome["about_iri"], outcome["source"]["iri"]]
    claim = client.get(f"/claims/{CLAIM}").json()
    iris += [claim["iri"], claim["source"]["iri"]]
    iris += [e["document_iri"] for e in claim["evidence"] if e["document"]]
    conflict = client.get("/conflicts").json()[0]
    iris += [conflict["iri"], *(i["iri"] for i in conflict["involves"])]
    patients = client.get("/patients", params={"study": "study-athens-dara-imid"}).json()["patients"]
    iris += [patients[0]["iri"], patients[0]["claims"][0]["iri"]]
    assert study["iri"] == f"{ID_IRI}{STUDY}" and claim["iri"] == f"{ID_IRI}{CLAIM}"
    for iri in dict.fromkeys(iris):
        dereferences(client, iri)


def test_openapi_describes_the_links(client: TestClient) -> None:
    schemas = client.get("/openapi.json").json()["components"]["schemas"]
    assert {"doi_url", "pubmed_url", "iri"} <= set(schemas["Publication"]["properties"])
    assert {"iri", "registrations"} <= set(schemas["StudySummary"]["properties"])
    assert set(schemas["Registration"]["properties"]) == {"nct_id", "url"}
    for record in ("Claim", "Conflict", "Patient", "Cohort", "InvolvedClaim"):
        assert "iri" in schemas[record]["properties"], record


# --- comparison outputs ----------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", list(FORMATS))
def test_every_comparison_format_links_its_sources(client: TestClient, fmt: str) -> None:
    text = client.get("/compare/response-rate", params={"format": fmt}).text
    assert DOI in text and LETTER in text
    if fmt == "md":
        assert f"[Lonial 2016, Lancet (SIRIUS)](<{DOI}>)" in text
    elif fmt == "html":
        assert f'<a href="{DOI}">Lonial 2016, Lancet (SIRIUS)</a>' in text
    elif fmt == "latex":
        assert r"Lonial 2016, Lancet (SIRIUS) (https://doi.org/10.1016/S0140-6736(15)01120-4)" in text
        assert r"\href" not in text, "the tabular has no preamble that loads hyperref"


def test_comparison_data_formats_give_a_url_per_source(client: TestClient) -> None:
    text = client.get("/compare/response-rate", params={"format": "csv"}).text
    rows = list(csv.DictReader(io.StringIO(text)))
    (sirius,) = [r for r in rows if r["cohort_id"] == f"{ID_IRI}sirius-dara16"]
    assert sirius["sources"] == "Lonial 2016, Lancet (SIRIUS)" and sirius["source_urls"] == DOI
    document = client.get("/compare/pfs", params={"format": "json"}).json()
    assert "source_urls" in document["columns"]
    for row in document["rows"]:
        assert len(row["source_urls"]) == len(row["sources"])
    linked = {u for row in document["rows"] for u in row["source_urls"]}
    assert LETTER in linked and any(u.startswith("https://doi.org/") for u in linked)
    for iri in (u for u in linked if u.startswith(ID_IRI)):
        dereferences(client, iri)


def test_cli_compare_links_its_sources(capsys: pytest.CaptureFixture[str]) -> None:
    assert f"[Lonial 2016, Lancet (SIRIUS)](<{DOI}>)" in _cli(capsys, "compare", "response-rate")
    assert f",{DOI}" in _cli(capsys, "compare", "response-rate", "--format", "csv")


# --- bulk tables -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def tables(kb: KnowledgeBase) -> dict[str, list[dict[str, str]]]:
    with zipfile.ZipFile(io.BytesIO(tables_zip(kb.store))) as zipped:
        return {
            name.removeprefix("mmkb-tables/"): list(csv.DictReader(io.StringIO(zipped.read(name).decode())))
            for name in zipped.namelist()
        }


def test_bulk_studies_give_the_registry_link(tables: dict[str, list[dict[str, str]]]) -> None:
    studies = {r["study"]: r for r in tables["studies.csv"]}
    assert studies[f"id:{STUDY}"]["nct_id"] == NCT and studies[f"id:{STUDY}"]["registry_url"] == REGISTRY
    assert all(bool(r["nct_id"]) == bool(r["registry_url"]) for r in studies.values())


def test_bulk_claims_give_the_source_doi_and_pmid_links(tables: dict[str, list[dict[str, str]]]) -> None:
    (claim, *_) = [r for r in tables["claims.csv"] if r["claim"] == f"id:{CLAIM}"]
    assert claim["source"] == f"id:{PUBLICATION}"
    assert claim["source_doi_url"] == DOI and claim["source_pubmed_url"] == PUBMED
    letter = [r for r in tables["claims.csv"] if r["source"] == "id:pub-letter-athens"]
    assert letter and all(r["source_doi_url"] == r["source_pubmed_url"] == "" for r in letter)


def test_bulk_record_ids_stay_curies_and_the_dictionary_says_where_they_dereference(
    client: TestClient, tables: dict[str, list[dict[str, str]]]
) -> None:
    dictionary = {(r["file"], r["column"]): r for r in tables[DICTIONARY]}
    for file, column in (("studies.csv", "study"), ("claims.csv", "claim"), ("conflicts.csv", "conflict")):
        assert f"dereferences at {ID_IRI}NAME" in dictionary[(file, column)]["description"]
        value = tables[file][0][column]
        assert value.startswith("id:")
        dereferences(client, ID_IRI + value.removeprefix("id:"))
    assert dictionary[("studies.csv", "registry_url")]["type"] == "url"


# --- citation network ------------------------------------------------------------------------------


def test_citation_network_links_its_publications(client: TestClient) -> None:
    nodes = {n["id"]: n for n in client.get("/network/citations", params={"format": "json"}).json()["nodes"]}
    lonial = nodes[f"{ID_IRI}{PUBLICATION}"]
    assert (lonial["doi_url"], lonial["pubmed_url"]) == (DOI, PUBMED)
    assert "doi_url" not in nodes[LETTER] and "pubmed_url" not in nodes[LETTER]
    svg = client.get("/network/citations", params={"format": "svg"}).text
    assert f'<a href="{DOI}">' in svg and f'<a href="{LETTER}">' in svg
    dereferences(client, LETTER)


# --- command line ----------------------------------------------------------------------------------


def test_show_study_text_links_registry_publications_and_records(capsys: pytest.CaptureFixture[str]) -> None:
    text = _cli(capsys, "show", "study", STUDY)
    assert f"{STUDY}: " in text.splitlines()[0] and text.splitlines()[0].endswith(f"<{ID_IRI}{STUDY}>")
    assert f"  registry: {NCT} <{REGISTRY}>" in text
    assert f"<{DOI}> <{PUBMED}>" in text
    assert f"<{ID_IRI}sirius-dara16>" in text


def test_show_study_json_and_conflicts_json_carry_links(
    client: TestClient, capsys: pytest.CaptureFixture[str]
) -> None:
    study = json.loads(_cli(capsys, "show", "study", STUDY, "--format", "json"))
    assert study["registrations"] == [{"nct_id": NCT, "url": REGISTRY}]
    assert any(p["doi_url"] == DOI and p["pubmed_url"] == PUBMED for p in study["publications"])
    conflicts = json.loads(_cli(capsys, "conflicts", "--format", "json"))
    dereferences(client, conflicts[0]["iri"])
    assert f"<{conflicts[0]['iri']}>" in _cli(capsys, "conflicts")


def test_show_claim_text_links_its_source(capsys: pytest.CaptureFixture[str]) -> None:
    text = _cli(capsys, "show", "claim", CLAIM)
    assert f"source: Lonial 2016, Lancet (SIRIUS) <{DOI}> <{PUBMED}>" in text
    assert f"<{ID_IRI}{CLAIM}>" in text


def test_question_answers_give_record_iris(client: TestClient, capsys: pytest.CaptureFixture[str]) -> None:
    table = _cli(capsys, "query", "--name", "conflict-findings")
    iris = re.findall(rf"{re.escape(ID_IRI)}[^\s]+", table)
    assert iris
    dereferences(client, iris[0])
    csv_answer = _cli(capsys, "query", "--name", "conflict-findings", "--format", "csv")
    assert "id:conflict-" in csv_answer, "CSV keeps the CURIEs"
    answer = client.get("/questions/conflict-findings").json()
    dereferences(client, next(c for row in answer["rows"] for c in row if c.startswith(ID_IRI)))


# --- the web page ----------------------------------------------------------------------------------


def test_page_links_publications_registry_numbers_and_records(
    browser: webdriver.Chrome, live_server: str
) -> None:
    wait = WebDriverWait(browser, WAIT_SECONDS)
    browser.get(live_server + "/")
    row = wait.until(
        ec.presence_of_element_located((By.CSS_SELECTOR, f"#studies-table tr[data-study='{STUDY}']"))
    )
    hrefs = [str(a.get_attribute("href")) for a in row.find_elements(By.TAG_NAME, "a")]
    assert DOI in hrefs and PUBMED in hrefs and REGISTRY in hrefs
    assert f"{live_server}/id/{STUDY}" in hrefs and f"{live_server}/id/{PUBLICATION}" in hrefs
    source = wait.until(
        ec.presence_of_element_located(
            (By.CSS_SELECTOR, f"#comparison tr[data-cohort='{ID_IRI}sirius-dara16'] a.source-link")
        )
    )
    assert source.get_attribute("href") == DOI
    wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#conflicts > li[data-conflict] a.record"))
    conflict = browser.find_element(By.CSS_SELECTOR, "#conflicts > li[data-conflict]")
    record = conflict.find_element(By.CSS_SELECTOR, "a.record")
    assert record.get_attribute("href") == f"{live_server}/id/{conflict.get_attribute('data-conflict')}"
    assert browser.get_log("browser") == []
