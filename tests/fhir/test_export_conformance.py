"""The FHIR export is valid R5: the bundle of the shipped knowledge base, and of a synthetic one that draws
every design and figure kind many times, passes the fhir.resources R5 models and the checks against the
official R5 definitions (value sets, invariants, references inside the bundle, interval order); and the
checks see a fault put into the real bundle."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from kb.knowledge_base import KnowledgeBase
from kb.render.fhir_bundle import fhir_bundle
from kb.synth.writer import write
from tests.fhir.r5_conformance import R5Definitions, check_bundle, validate_models


@pytest.fixture(scope="module")
def bundle(kb: KnowledgeBase) -> dict[str, Any]:
    return fhir_bundle(kb)


def _first(bundle: dict[str, Any], resource_type: str) -> tuple[int, dict[str, Any]]:
    return next(
        (i, e["resource"])
        for i, e in enumerate(bundle["entry"])
        if e["resource"]["resourceType"] == resource_type
    )


def test_the_shipped_bundle_is_valid_r5(bundle: dict[str, Any], r5_definitions: R5Definitions) -> None:
    assert validate_models(bundle) == []
    assert check_bundle(bundle, r5_definitions) == []


def test_a_synthetic_bundle_is_valid_r5(tmp_path: Path, r5_definitions: R5Definitions) -> None:
    path = tmp_path / "synthetic.ttl"
    write(path, 40, seed=5)
    synthetic = fhir_bundle(KnowledgeBase.open([path]))
    kinds = {e["resource"]["resourceType"] for e in synthetic["entry"]}
    assert {"Evidence", "EvidenceVariable", "Group", "Citation", "CodeSystem"} <= kinds
    assert sum(e["resource"]["resourceType"] == "Evidence" for e in synthetic["entry"]) > 200
    assert validate_models(synthetic) == []
    assert check_bundle(synthetic, r5_definitions) == []


def test_the_checks_see_a_fault_in_the_real_bundle(
    bundle: dict[str, Any], r5_definitions: R5Definitions
) -> None:
    """A misspelt statistic type (which the models accept), a reference to nothing and an interval that
    does not hold its estimate are each reported."""
    broken = copy.deepcopy(bundle)
    index, evidence = _first(broken, "Evidence")
    statistic = evidence["statistic"][0]
    statistic["statisticType"]["coding"][0]["code"] = "C44256x"
    evidence["variableDefinition"][0]["observed"]["reference"] = "Group/no-such-cohort"
    statistic["quantity"] = {"value": 50}
    statistic["attributeEstimate"] = [{"range": {"low": {"value": 60}, "high": {"value": 70}}}]
    assert validate_models(broken) == []
    problems = "\n".join(check_bundle(broken, r5_definitions))
    where = f"Bundle.entry[{index}].resource(Evidence/{evidence['id']})"
    assert f'{where}.statistic[0].statisticType.coding[0]: code "C44256x"' in problems
    assert "Group/no-such-cohort" in problems
    assert f"{where}.statistic[0].attributeEstimate[0].range" in problems
