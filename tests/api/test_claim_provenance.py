"""Provenance shows the derivation: REST, CLI and library agree, and every link of the page resolves."""

from __future__ import annotations

import json
import re
from dataclasses import asdict

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from kb.cli import main
from kb.knowledge_base import KnowledgeBase
from kb.namespaces import ID
from kb.reasoning.derivation import explain

DATA_CLAIM = re.compile(r'data-claim="https://w3id\.org/mmkb/id/([^"]+)"')


@pytest.fixture(scope="module")
def client(kb: KnowledgeBase) -> TestClient:
    return TestClient(create_app(kb))


def test_the_letters_3_of_6_lists_the_six_records_counted(client: TestClient) -> None:
    page = client.get("/compare/response-rate", params={"format": "html"}).text
    row = next(r for r in page.split("<tr ") if "count-athens-all-PR-or-better" in r and ">3/6<" in r)
    (claim,) = re.findall(r'class="rate" data-claim="https://w3id\.org/mmkb/id/([^"]+)"', row)
    how = client.get(f"/claims/{claim}").json()["how"]
    assert how["method"] == "counted from patient records"
    assert len(how["inputs"]) == 6
    counted = {i["about"]: i["counted"] for i in how["inputs"]}
    # Table 1, Dara-IMiD-DEX: PD MR MR VGPR PR VGPR.
    assert counted == {
        "athens-p1": False,
        "athens-p2": False,
        "athens-p3": False,
        "athens-p4": True,
        "athens-p5": True,
        "athens-p6": True,
    }
    cells = {i["about"]: i["evidence"][0] for i in how["inputs"]}
    assert cells["athens-p4"]["row"] == "Dara-IMiD-DEX" and cells["athens-p4"]["column"] == "Patient 4"


def test_a_count_from_a_percentage_shows_the_percentage_denominator_and_candidates(
    client: TestClient,
) -> None:
    # MMY1001: "ORR 60%" of 103 treated patients; 62 is the only whole number that gives 60%.
    claim = client.get("/claims/mmy1001-dpd-orr-chari2017").json()
    assert claim["values"]["numerator"] == "NotReported"
    how = claim["how"]
    assert how["method"] == "count from a printed percentage and denominator"
    assert (how["percent"], how["denominator"], how["candidates"]) == ("60", "103", [62])


def test_a_claim_derived_from_claims_lists_them(client: TestClient) -> None:
    how = client.get("/claims/athens-agg-pom-still-on-therapy").json()["how"]
    assert {i["id"] for i in how["inputs"]} == {
        "athens-agg-pom-mr",
        "athens-agg-pom-pd",
        "athens-agg-pom-vgpr",
    }
    assert all(i["evidence"][0]["exact"] for i in how["inputs"])


def test_an_interpreted_claim_shows_its_reading(client: TestClient) -> None:
    how = client.get("/claims/athens-agg-len-refractory").json()["how"]
    assert [i["id"] for i in how["interpretations"]] == ["athens-interp-most-recent-imid"]


@pytest.mark.parametrize(
    "claim", ["count-athens-all-MR-or-better", "mmy1001-dpd-orr-chari2017", "athens-agg-pom-still-on-therapy"]
)
def test_rest_cli_and_library_agree(
    client: TestClient, kb: KnowledgeBase, claim: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["show", "claim", claim, "--format", "json"]) == 0
    cli = json.loads(capsys.readouterr().out)
    rest = client.get(f"/claims/{claim}").json()["how"]
    library = explain(kb.store, ID[claim])
    assert library is not None
    assert cli == rest == asdict(library)


def test_cli_text_names_each_record_and_its_cell(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["show", "claim", "count-athens-all-MR-or-better"]) == 0
    text = capsys.readouterr().out
    assert "5 of the 6 patient records" in text
    assert "not counted: athens-p1-dara-imid-response" in text
    assert "column 'Patient 1'" in text


def test_unknown_claim_is_a_one_line_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["show", "claim", "no-such-claim"]) == 2
    first, *error = capsys.readouterr().err.splitlines()  # the first line names the knowledge base read
    assert first.startswith("mmkb: knowledge base: ")
    assert error == ["mmkb show claim: no claim 'no-such-claim'"]


def test_every_conflict_link_resolves(client: TestClient) -> None:
    conflicts = client.get("/conflicts").json()
    assert conflicts
    for conflict in conflicts:
        for involved in conflict["involves"]:
            response = client.get(f"/claims/{involved['id']}")
            assert response.status_code == 200, (conflict["id"], involved["id"])


@pytest.mark.parametrize("by", ["refractory-status", "regimen", "design", "sex"])
@pytest.mark.parametrize("threshold", ["PR", "MR"])
def test_every_row_claim_link_resolves(client: TestClient, by: str, threshold: str) -> None:
    page = client.get("/compare/response-rate", params={"format": "html", "by": by, "threshold": threshold})
    assert page.status_code == 200
    links = set(DATA_CLAIM.findall(page.text))
    assert links
    for claim in sorted(links):
        assert client.get(f"/claims/{claim}").status_code == 200, claim
