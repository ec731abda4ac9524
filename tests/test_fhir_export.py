"""The FHIR R5 export on the shipped knowledge base: one Evidence per cohort-level figure, whose every
number is one the claim states (or one derived and said to be), every typed unknown a data-absent reason
with the mmkb term beside it, hazard ratios with their comparator, and the mappings complete for every term
the ontology declares. Conformance to the R5 definitions is tests/fhir's."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.settings import Settings
from kb.analysis.endpoint_table import ALL_CAVEATS
from kb.cli import main
from kb.knowledge_base import KnowledgeBase
from kb.namespaces import ID_IRI, MM_IRI
from kb.queries import query_text
from kb.render.fhir_bundle import fhir_bundle, fhir_json
from kb.render.fhir_codes import (
    BASELINE_ENDPOINTS,
    CERTAINTY_DOMAINS,
    DATA_ABSENT_EXTENSION,
    DATA_ABSENT_REASONS,
    EXTENSION_BASE,
    OUTCOME_ENDPOINTS,
    STUDY_DESIGNS,
    UCUM_UNITS,
)
from kb.render.fhir_statistic import CLASSES

JSON = dict[str, Any]
NUMERIC = ("numerator", "denominator", "percent", "count", "median", "estimate", "value", "ciLow", "ciHigh")
NUMERIC += ("minimum", "maximum")


@pytest.fixture(scope="module")
def bundle(kb: KnowledgeBase) -> JSON:
    return fhir_bundle(kb)


@pytest.fixture(scope="module")
def evidence(bundle: JSON) -> dict[str, JSON]:
    """Each Evidence by the IRI of the claim it is written for."""
    found = [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Evidence"]
    return {r["url"]: r for r in found}


@pytest.fixture(scope="module")
def claims(kb: KnowledgeBase, evidence: dict[str, JSON]) -> dict[str, Any]:
    from rdflib import URIRef

    return {ID_IRI + c.id: c for c in kb.claims([URIRef(iri) for iri in evidence])}


def terms(kb: KnowledgeBase, kind: str) -> set[str]:
    rows = kb.select(f"SELECT ?t WHERE {{ ?t a mm:{kind} }}")
    return {str(r["t"]).removeprefix(MM_IRI) for r in rows}


def walk(node: Any) -> Iterator[Any]:
    yield node
    if isinstance(node, dict):
        for value in node.values():
            yield from walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from walk(value)


def test_one_evidence_per_cohort_level_figure_and_none_per_patient(kb, evidence):
    wanted = {str(r["claim"]) for r in kb.store.rows(query_text("fhir-evidence-claims"))}
    assert set(evidence) == wanted
    assert len(wanted) > 150
    patient_level = kb.select("SELECT ?c WHERE { ?c a mm:Quantity ; mm:about ?p . ?p a mm:Patient }")
    assert patient_level and not {str(r["c"]) for r in patient_level} & set(evidence)
    # the counts computed from the letter's patient records are there, derived from those records
    computed = evidence[ID_IRI + "count-athens-len-added-PR-or-better"]
    statistic = computed["statistic"][0]
    assert (statistic["numberOfEvents"], statistic["sampleSize"]["knownDataCount"]) == (2, 2)
    sources = [a["resource"] for a in computed["relatedArtifact"] if a.get("label") == "record"]
    assert sources == [ID_IRI + "athens-p4-dara-imid-response", ID_IRI + "athens-p5-dara-imid-response"]
    assert computed["description"].startswith("Derived by mmkb from what")


def test_every_typed_unknown_is_a_data_absent_reason_and_never_a_number(evidence, claims):
    checked = 0
    for iri, resource in evidence.items():
        values = claims[iri].values
        derived = (
            "_numberOfEvents" in resource["statistic"][0] and "numberOfEvents" in resource["statistic"][0]
        )
        # a count mmkb derives stands in the numerator's place, with how it was derived
        replaced = {"numerator"} if derived else set()
        unknown = sorted(
            str(values[k]) for k in NUMERIC if isinstance(values.get(k), str) and k not in replaced
        )
        written = sorted(
            node["valueCoding"]["code"]
            for node in walk(resource["statistic"])
            if isinstance(node, dict) and node.get("url") == EXTENSION_BASE + "missingness"
        )
        assert written == unknown, iri
        reasons = [
            node["valueCode"]
            for node in walk(resource["statistic"])
            if isinstance(node, dict) and node.get("url") == DATA_ABSENT_EXTENSION
        ]
        assert reasons == [DATA_ABSENT_REASONS[code] for code in _in_order(resource)], iri
        checked += len(unknown)
    assert checked > 50
    pollux = evidence[ID_IRI + "pollux-drd-orr-dimopoulos2016"]["statistic"][0]
    assert "numberOfEvents" not in pollux and "knownDataCount" not in pollux["sampleSize"]
    assert pollux["quantity"]["value"] == 92.9


def _in_order(resource: JSON) -> list[str]:
    return [
        node["valueCoding"]["code"]
        for node in walk(resource["statistic"])
        if isinstance(node, dict) and node.get("url") == EXTENSION_BASE + "missingness"
    ]


def test_every_number_is_the_claims_or_said_to_be_derived(evidence, claims):
    for iri, resource in evidence.items():
        statistic, values = resource["statistic"][0], claims[iri].values
        notes = " ".join(n["text"] for n in statistic.get("note", []))
        printed = [values.get(k) for k in ("percent", "median", "estimate", "value", "count")]
        value = statistic.get("quantity", {}).get("value")
        if value is not None:
            assert value in printed or "derived by mmkb" in notes, iri
        events = statistic.get("numberOfEvents")
        if events is not None:
            candidates = values.get("numeratorCandidate")
            assert events in (values.get("numerator"), values.get("count"), candidates), iri
            if events != values.get("numerator") and events != values.get("count"):
                assert "is not printed" in notes, iri
        known = statistic.get("sampleSize", {}).get("knownDataCount")
        assert known is None or known == values.get("denominator"), iri
        for estimate in statistic.get("attributeEstimate", []):
            if "computed by mmkb" not in estimate.get("description", ""):
                bounds = estimate.get("range", {})
                for side, name in (
                    ("low", "ciLow"),
                    ("high", "ciHigh"),
                    ("low", "minimum"),
                    ("high", "maximum"),
                ):
                    if (
                        name in values
                        and "value" in bounds.get(side, {})
                        and not isinstance(values[name], str)
                    ):
                        assert bounds[side]["value"] in (values.get(name), values.get("lowerBound")), iri


def test_exact_intervals_are_computed_from_the_counts_and_hold_the_estimate(evidence):
    computed = 0
    for iri, resource in evidence.items():
        statistic = resource["statistic"][0]
        for estimate in statistic.get("attributeEstimate", []):
            if "Clopper-Pearson" in estimate.get("description", ""):
                computed += 1
                x, n = statistic["numberOfEvents"], statistic["sampleSize"]["knownDataCount"]
                assert f"from {x} of {n}" in estimate["description"], iri
                low, high = estimate["range"]["low"]["value"], estimate["range"]["high"]["value"]
                assert low <= statistic["quantity"]["value"] <= high, iri
    assert computed > 20
    sirius = [
        e["statistic"][0]["attributeEstimate"][0]["range"]
        for e in evidence.values()
        if e["statistic"][0].get("numberOfEvents") == 31
        and e["statistic"][0].get("sampleSize", {}).get("knownDataCount") == 106
    ]
    assert sirius and all((r["low"]["value"], r["high"]["value"]) == (20.8, 38.9) for r in sirius)


def test_hazard_ratios_carry_their_comparator(evidence):
    ratios = [e for e in evidence.values() if "C93150" in json.dumps(e["statistic"][0]["statisticType"])]
    assert ratios
    for resource in ratios:
        roles = {v["variableRole"]["coding"][0]["code"]: v for v in resource["variableDefinition"]}
        assert {"population", "exposure", "referenceExposure", "measuredVariable"} <= set(roles)
        assert roles["referenceExposure"]["description"].startswith("comparator: ")
    pollux = evidence[ID_IRI + "pollux-pfs-hr-dimopoulos2016"]
    roles = {v["variableRole"]["coding"][0]["code"]: v for v in pollux["variableDefinition"]}
    assert roles["referenceExposure"]["observed"]["reference"] == "EvidenceVariable/regimen-pollux-rd-regimen"
    assert pollux["statistic"][0]["quantity"] == {"value": 0.37}


def test_baseline_measures_have_no_exposure(evidence, claims):
    for iri, resource in evidence.items():
        roles = [v["variableRole"]["coding"][0]["code"] for v in resource["variableDefinition"]]
        measured = claims[iri].values.get("measures", "Response")
        assert ("exposure" in roles) is (measured not in BASELINE_ENDPOINTS and "regimen" in str(resource)), (
            iri
        )


def test_caveats_are_the_tables_codes_as_certainty_entries(evidence):
    seen = set()
    for resource in evidence.values():
        for entry in resource.get("certainty", []):
            code = entry["type"]["text"]
            assert entry["description"] == ALL_CAVEATS[code]
            assert "rating" not in entry  # mmkb rates no certainty: no rating is made up
            seen.add(code)
    assert {"SMALL_N", "CASE_SERIES", "BOUNDARY", "RECONSTRUCTED", "UNKNOWN_DENOMINATOR"} <= seen
    assert set(CERTAINTY_DOMAINS) <= set(ALL_CAVEATS)


def test_citations_carry_doi_and_pmid_with_their_links(kb, bundle):
    citations = {
        e["resource"]["url"]: e["resource"]
        for e in bundle["entry"]
        if e["resource"]["resourceType"] == "Citation"
    }
    rows = kb.select("SELECT ?p ?doi WHERE { ?p bibo:doi ?doi }")
    with_doi = [(str(r["p"]), str(r["doi"])) for r in rows if str(r["p"]) in citations]
    assert with_doi
    for iri, doi in with_doi:
        artifact = citations[iri]["citedArtifact"]
        assert {"system": "https://doi.org", "value": doi} in artifact["identifier"]
        assert {"url": f"https://doi.org/{doi}"} in artifact["webLocation"]


def test_mappings_cover_every_declared_term(kb):
    endpoints = terms(kb, "Endpoint")
    assert endpoints == BASELINE_ENDPOINTS | OUTCOME_ENDPOINTS
    assert not BASELINE_ENDPOINTS & OUTCOME_ENDPOINTS
    assert terms(kb, "StudyDesign") == set(STUDY_DESIGNS)
    assert terms(kb, "Missingness") == set(DATA_ABSENT_REASONS)
    assert terms(kb, "Unit") == set(UCUM_UNITS)
    measurement_classes = kb.select("SELECT ?c WHERE { ?c rdfs:subClassOf+ mm:Measurement }")
    assert {str(r["c"]).removeprefix(MM_IRI) for r in measurement_classes} | {"RecordCount"} == set(CLASSES)


def test_the_same_knowledge_base_gives_the_same_bytes(kb):
    assert fhir_json(kb) == fhir_json(KnowledgeBase.open())


def test_command_line_and_service_give_the_same_bundle(kb, tmp_path, capsys):
    out = tmp_path / "evidence.json"
    assert main(["export", "--format", "fhir", "--out", str(out)]) == 0
    settings = Settings.from_env(allowed_hosts=("testserver",))
    with TestClient(create_app(kb, settings)) as client:
        response = client.get("/export", params={"format": "fhir"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/fhir+json"
    assert response.content == out.read_bytes() == fhir_json(kb)
    assert json.loads(out.read_bytes())["resourceType"] == "Bundle"


def test_every_address_in_the_mmkb_namespace_resolves_on_the_service(kb, bundle):
    """Entries' fullUrls, the caveat code system and the extensions' URLs are /fhir/{type}/{id} paths."""
    from fhir.resources.codesystem import CodeSystem
    from fhir.resources.structuredefinition import StructureDefinition

    base = "https://w3id.org/mmkb/fhir/"
    text = json.dumps(bundle)
    extensions = sorted(
        {
            node["url"]
            for node in walk(bundle)
            if isinstance(node, dict)
            and "url" in node
            and isinstance(node["url"], str)
            and node["url"].startswith(base + "StructureDefinition/")
        }
    )
    assert len(extensions) == 4
    settings = Settings.from_env(allowed_hosts=("testserver",))
    with TestClient(create_app(kb, settings)) as client:
        for entry in bundle["entry"][:40] + bundle["entry"][-5:]:
            response = client.get("/fhir/" + entry["fullUrl"].removeprefix(base))
            assert response.status_code == 200, entry["fullUrl"]
            assert response.headers["content-type"] == "application/fhir+json"
            assert response.json() == entry["resource"]
        for url in extensions:
            definition = client.get("/fhir/" + url.removeprefix(base)).json()
            assert definition["url"] == url
            StructureDefinition.model_validate(definition)
        codes = client.get("/fhir/CodeSystem/caveat").json()
        CodeSystem.model_validate(codes)
        assert client.get("/fhir/Evidence/no-such-figure").status_code == 404
        assert client.get("/fhir/evidence/lowercase-type").status_code == 422
    defined = {c["code"] for c in codes["concept"]}
    used = {
        node["code"] for node in walk(bundle) if isinstance(node, dict) and node.get("system") == codes["url"]
    }
    assert used and used <= defined
    assert text.count(codes["url"]) > len(used)
