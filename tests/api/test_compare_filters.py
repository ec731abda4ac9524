"""Comparison filters and the rules of the comparison, asked the same way of the library, REST and the CLI."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from kb.analysis.response_rate import Filters, OptionError, response_rates
from kb.cli import main
from kb.knowledge_base import KnowledgeBase


@pytest.fixture(scope="module")
def client(kb: KnowledgeBase) -> Iterator[TestClient]:
    with TestClient(create_app(kb)) as test_client:
        yield test_client


def _ids(rows: list[dict[str, str]]) -> list[str]:
    return sorted(r["cohort_id"].rsplit("/", 1)[1] for r in rows)


def _library(kb: KnowledgeBase, **filters: str) -> list[str]:
    refractory = filters.pop("refractory", "")
    wanted = Filters(refractory=frozenset(v for v in refractory.split(",") if v), **filters)  # type: ignore[arg-type]
    return sorted(r.cohort_id.rsplit("/", 1)[1] for r in response_rates(kb, filters=wanted).rows)


def _rest(client: TestClient, **filters: str) -> list[str]:
    response = client.get("/compare/response-rate", params={"format": "json", **filters})
    assert response.status_code == 200, response.text
    return _ids(response.json()["rows"])


def _cli(capsys: pytest.CaptureFixture[str], **filters: str) -> tuple[int, list[str], str]:
    args = ["compare", "response-rate", "--format", "csv"]
    for option, value in filters.items():
        args += ["--" + option.replace("_", "-"), value]
    code = main(args)
    out, err = capsys.readouterr()
    return code, (_ids(list(csv.DictReader(io.StringIO(out)))) if code == 0 else []), err


EXPECTED = {
    # Case and synonyms: the ontology records "Pom" for pomalidomide, the notation "IMiD" for the class.
    ("drug", "pom"): {"nooka-cohort3", "athens-pom-added", "mmy1001-dpd-all", "baertsch-all"},
    ("drug", "Pomalidomide"): {"nooka-cohort3", "athens-pom-added", "mmy1001-dpd-all", "baertsch-all"},
    ("drug_class", "imid"): {"pollux-drd", "pollux-rd", "athens-all", "athens-len-added", "nooka-cohort3"},
    ("design", "phase-2"): {"sirius-dara16"},
    ("refractory", "daratumumab"): {"athens-all", "athens-pom-added", "athens-len-added", "nooka-cohort3"},
}


@pytest.mark.parametrize(("option", "value"), list(EXPECTED))
def test_filter_names_match_and_the_three_interfaces_agree(kb, client, capsys, option, value):
    library = _library(kb, **{option: value})
    assert library and EXPECTED[option, value] <= set(library)
    assert _rest(client, **{option: value}) == library
    code, cli_rows, _ = _cli(capsys, **{option: value})
    assert code == 0 and cli_rows == library


def test_drug_filter_by_identifier_and_label_agree(kb):
    assert _library(kb, drug="pomalidomide") == _library(kb, drug="POM") == _library(kb, drug="Pomalyst")


def test_refractory_daratumumab_finds_the_refractory_cohorts_only(kb):
    table = response_rates(kb, filters=Filters(refractory=frozenset({"daratumumab"})))
    assert table.rows
    assert all("daratumumab" in r.stratum_key.partition(":")[2].split(",") for r in table.rows)
    assert all(r.stratum_key.startswith("definingRefractoriness:") for r in table.rows)
    # The six patients' earlier response to daratumumab monotherapy: not daratumumab-refractory then.
    assert not [r for r in table.rows if "RESPONSE_TO_PRIOR_REGIMEN" in r.caveats]


def test_refractory_class_is_met_by_any_of_its_drugs(kb):
    # MMY1001's double-refractory subgroup: refractory to a PI and an IMiD.
    both = _library(kb, refractory="ProteasomeInhibitor,IMiD")
    assert both == ["mmy1001-dpd-double-refractory"]
    # A drug is not met by its class: "refractory to an IMiD" does not say which one.
    assert "athens-all" not in _library(kb, refractory="lenalidomide")
    assert "athens-len-added" in _library(kb, refractory="lenalidomide")


@pytest.mark.parametrize(
    ("option", "value", "listed"),
    [
        ("drug", "pomalidomid", "pomalidomide"),
        ("drug_class", "steroid-ish", "immunomodulatory drug"),
        ("design", "phase-9", "phase 2 trial"),
        ("refractory", "daratumumab,nothing", "daratumumab"),
    ],
)
def test_unknown_filter_value_is_422_and_one_line_listing_the_valid_ones(
    kb, client, capsys, option, value, listed
):
    with pytest.raises(OptionError, match=listed):
        _library(kb, **{option: value})
    response = client.get("/compare/response-rate", params={option: value})
    assert response.status_code == 422
    assert listed in response.json()["valid"]
    code, _, err = _cli(capsys, **{option: value})
    first, *error = err.splitlines()  # the first line names the knowledge base read
    assert code == 2 and first.startswith("mmkb: knowledge base: ")
    assert len(error) == 1 and listed in error[0]


def test_rules_agree_across_library_rest_and_cli(kb, client, capsys):
    """Nooka cohort 3 is 4/12 (33.3%, 9.9-65.1); POLLUX's n is unknown; cohort 1 shows ~90."""
    library = {
        r.cohort_id.rsplit("/", 1)[1]: r for r in response_rates(kb).rows if "PRIOR" not in "".join(r.caveats)
    }
    rest = {
        r["cohort_id"].rsplit("/", 1)[1]: r
        for r in client.get("/compare/response-rate", params={"format": "json"}).json()["rows"]
        if "RESPONSE_TO_PRIOR_REGIMEN" not in r["caveats"]
    }
    assert main(["compare", "response-rate", "--format", "csv"]) == 0
    cli = {
        r["cohort_id"].rsplit("/", 1)[1]: r
        for r in csv.DictReader(io.StringIO(capsys.readouterr().out))
        if "RESPONSE_TO_PRIOR_REGIMEN" not in r["caveats"]
    }
    expected = {"nooka-cohort3": "4/12", "pollux-drd": "?/not reported", "nooka-cohort1": "17-18/19"}
    for cohort, x_over_n in expected.items():
        assert library[cohort].x_over_n == rest[cohort]["x_over_n"] == cli[cohort]["x_over_n"] == x_over_n
    assert (library["nooka-cohort3"].ci_low_pct, library["nooka-cohort3"].ci_high_pct) == (9.9, 65.1)
    assert rest["nooka-cohort3"]["rate_text"] == cli["nooka-cohort3"]["rate_text"] == "33.3"
    assert rest["nooka-cohort1"]["rate_text"] == cli["nooka-cohort1"]["rate_text"] == "~90"
    assert rest["pollux-drd"]["n"] is None and cli["pollux-drd"]["n"] == ""


def test_medians_and_hazard_ratios_are_json_numbers_on_rest_and_the_cli(client, capsys):
    """The figures are numbers, never preformatted strings; a median not reached is null with its status."""
    rest = client.get("/compare/response-rate", params={"format": "json"}).json()["rows"]
    assert main(["compare", "response-rate", "--format", "json"]) == 0
    cli = json.loads(capsys.readouterr().out)["rows"]
    assert rest == cli
    by_cohort = {r["cohort_id"].rsplit("/", 1)[1]: r for r in rest}
    pooled = by_cohort["pooled-dara16"]["median_pfs"]
    assert (pooled["estimate"], pooled["interval"]["low"], pooled["interval"]["high"]) == (4.0, 2.8, 5.6)
    assert (pooled["unit"], pooled["status"]) == ("months", "reported")
    drd = by_cohort["pollux-drd"]
    assert drd["median_pfs"]["estimate"] is None and drd["median_pfs"]["status"] == "not reached"
    assert drd["median_pfs_estimate"] is None and drd["median_pfs_status"] == "not reached"
    assert "IMMATURE_MEDIAN" in drd["caveats"]
    hr = drd["hazard_ratio"]
    assert (hr["estimate"], hr["interval"]["low"], hr["interval"]["high"], hr["interval"]["level"]) == (
        0.37,
        0.27,
        0.52,
        0.95,
    )
    assert hr["comparator_id"].endswith("/pollux-rd") and hr["p_value_below"] == 0.001
    for row in rest:
        for name in ("median_pfs", "hazard_ratio"):
            value = row[name]
            if value is None:
                continue
            interval = value["interval"] or {}
            for figure in (value["estimate"], interval.get("low"), interval.get("high")):
                assert figure is None or type(figure) is float
            assert (value["estimate"] is None) == (value["status"] != "reported")
