"""The R5 checker itself: a valid bundle passes, and each kind of invalid bundle is reported exactly."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from tests.fhir.conftest import BASE
from tests.fhir.r5_conformance import (
    PACKAGES,
    UNEVALUATED,
    CannotExpand,
    DefinitionsUnavailable,
    PackageSpec,
    R5Definitions,
    check_bundle,
    integrity_of,
    missing_functions,
    package_path,
    validate_models,
)

EVIDENCE = "Bundle.entry[4].resource(Evidence/pollux-drd-orr)"
ROOTS = ("Bundle", "Evidence", "EvidenceVariable", "Group", "Citation")


def evidence(bundle: dict[str, Any]) -> dict[str, Any]:
    resource: dict[str, Any] = bundle["entry"][4]["resource"]
    return resource


def test_the_valid_bundle_passes(valid_bundle: dict[str, Any], r5_definitions: R5Definitions) -> None:
    assert check_bundle(valid_bundle, r5_definitions) == []
    assert validate_models(valid_bundle) == []


def test_a_statistic_type_that_does_not_exist(
    valid_bundle: dict[str, Any], r5_definitions: R5Definitions
) -> None:
    evidence(valid_bundle)["statistic"][0]["statisticType"]["coding"][0]["code"] = "proportionx"
    # The models take any string as a code: the reason the checker exists.
    assert validate_models(valid_bundle) == []
    assert check_bundle(valid_bundle, r5_definitions) == [
        f'{EVIDENCE}.statistic[0].statisticType.coding[0]: code "proportionx" is not in'
        " http://hl7.org/fhir/ValueSet/statistic-type (extensible binding,"
        " system http://terminology.hl7.org/CodeSystem/statistic-type)"
    ]


def test_a_code_outside_a_required_binding(
    valid_bundle: dict[str, Any], r5_definitions: R5Definitions
) -> None:
    evidence(valid_bundle)["status"] = "done"
    assert check_bundle(valid_bundle, r5_definitions) == [
        f'{EVIDENCE}.status: code "done" is not in http://hl7.org/fhir/ValueSet/publication-status'
        " (required binding)"
    ]


def test_a_coding_of_another_system_passes_an_extensible_binding(
    valid_bundle: dict[str, Any], r5_definitions: R5Definitions
) -> None:
    coding = evidence(valid_bundle)["statistic"][0]["statisticType"]["coding"]
    coding.append({"system": "https://w3id.org/mmkb/statistic", "code": "objective-response-rate"})
    assert check_bundle(valid_bundle, r5_definitions) == []


def test_an_unresolved_reference(valid_bundle: dict[str, Any], r5_definitions: R5Definitions) -> None:
    evidence(valid_bundle)["variableDefinition"][0]["observed"]["reference"] = "Group/nowhere"
    assert check_bundle(valid_bundle, r5_definitions) == [
        f'{EVIDENCE}.variableDefinition[0].observed.reference: reference "Group/nowhere"'
        f" ({BASE}Group/nowhere) does not resolve to an entry of the bundle"
    ]


def test_a_relative_reference_needs_a_restful_full_url(
    valid_bundle: dict[str, Any], r5_definitions: R5Definitions
) -> None:
    """Type/id resolves against the base of the referring entry's fullUrl; a urn:uuid has none."""
    valid_bundle["entry"][4]["fullUrl"] = "urn:uuid:04121321-4af5-424c-a0e1-ed3aab1c349d"
    evidence(valid_bundle)["variableDefinition"] = evidence(valid_bundle)["variableDefinition"][:1]
    assert check_bundle(valid_bundle, r5_definitions) == [
        f'{EVIDENCE}.citeAsReference.reference: reference "Citation/pollux" does not resolve inside the'
        " bundle: a relative reference resolves against the referring entry's RESTful fullUrl, and"
        " urn:uuid:04121321-4af5-424c-a0e1-ed3aab1c349d is not one",
        f'{EVIDENCE}.variableDefinition[0].observed.reference: reference "Group/pollux-itt" does not'
        " resolve inside the bundle: a relative reference resolves against the referring entry's"
        " RESTful fullUrl, and urn:uuid:04121321-4af5-424c-a0e1-ed3aab1c349d is not one",
    ]


def test_absolute_and_contained_references_resolve(
    valid_bundle: dict[str, Any], r5_definitions: R5Definitions
) -> None:
    valid_bundle["entry"][1]["fullUrl"] = "urn:uuid:04121321-4af5-424c-a0e1-ed3aab1c349d"
    resource = evidence(valid_bundle)
    resource["variableDefinition"][0]["observed"]["reference"] = (
        "urn:uuid:04121321-4af5-424c-a0e1-ed3aab1c349d"
    )
    resource["contained"] = [
        {"resourceType": "Group", "id": "arm", "type": "person", "membership": "definitional"}
    ]
    resource["variableDefinition"].append(
        {
            "variableRole": {
                "coding": [
                    {"system": "http://terminology.hl7.org/CodeSystem/variable-role", "code": "subpopulation"}
                ]
            },
            "observed": {"reference": "#arm"},
        }
    )
    assert check_bundle(valid_bundle, r5_definitions) == []
    resource["variableDefinition"][-1]["observed"]["reference"] = "#elsewhere"
    assert check_bundle(valid_bundle, r5_definitions) == [
        f"{EVIDENCE}.variableDefinition[3].observed: invariant ref-1 violated: SHALL have a contained"
        " resource if a local reference is provided",
        f"{EVIDENCE}: invariant dom-3 violated: If the resource is contained in another resource, it"
        " SHALL be referred to from elsewhere in the resource or SHALL refer to the containing resource",
        f'{EVIDENCE}.variableDefinition[3].observed.reference: reference "#elsewhere" names no'
        " contained resource",
    ]


def test_a_range_low_above_the_estimate(valid_bundle: dict[str, Any], r5_definitions: R5Definitions) -> None:
    evidence(valid_bundle)["statistic"][0]["attributeEstimate"][0]["range"]["low"]["value"] = 0.95
    assert check_bundle(valid_bundle, r5_definitions) == [
        f"{EVIDENCE}.statistic[0].attributeEstimate[0].range: range low 0.95 is above the statistic's"
        " quantity 0.929"
    ]


def test_a_range_upside_down(valid_bundle: dict[str, Any], r5_definitions: R5Definitions) -> None:
    span = evidence(valid_bundle)["statistic"][0]["attributeEstimate"][0]["range"]
    span["low"]["value"], span["high"]["value"] = 0.99, 0.98
    where = f"{EVIDENCE}.statistic[0].attributeEstimate[0].range"
    assert check_bundle(valid_bundle, r5_definitions) == [
        f"{where}: range low 0.99 is above high 0.98",
        f"{where}: range low 0.99 is above the statistic's quantity 0.929",
    ]


def test_an_unknown_property(valid_bundle: dict[str, Any], r5_definitions: R5Definitions) -> None:
    evidence(valid_bundle)["statistic"][0]["effectSize"] = 1.2
    assert check_bundle(valid_bundle, r5_definitions) == [
        f"{EVIDENCE}.statistic[0].effectSize: unknown element: Evidence.statistic has no element 'effectSize'"
    ]


def test_a_choice_element_by_its_type_suffix(
    valid_bundle: dict[str, Any], r5_definitions: R5Definitions
) -> None:
    resource = evidence(valid_bundle)
    resource["citeAsMarkdown"] = "POLLUX, NEJM 2016"
    assert check_bundle(valid_bundle, r5_definitions) == [
        f"{EVIDENCE}.citeAs[x]: more than one type given for Evidence.citeAs[x]: citeAsReference,"
        " citeAsMarkdown"
    ]
    del resource["citeAsReference"]
    assert check_bundle(valid_bundle, r5_definitions) == []
    resource["citeAsString"] = resource.pop("citeAsMarkdown")
    assert check_bundle(valid_bundle, r5_definitions) == [
        f"{EVIDENCE}.citeAsString: unknown element: Evidence has no element 'citeAsString'"
    ]


def test_a_missing_required_element(valid_bundle: dict[str, Any], r5_definitions: R5Definitions) -> None:
    del evidence(valid_bundle)["status"]
    assert check_bundle(valid_bundle, r5_definitions) == [
        f"{EVIDENCE}.status: missing required element Evidence.status (min 1, found 0)"
    ]


def test_too_many_and_wrong_json_shapes(valid_bundle: dict[str, Any], r5_definitions: R5Definitions) -> None:
    resource = evidence(valid_bundle)
    resource["status"] = ["active"]
    resource["statistic"] = resource["statistic"][0]
    resource["statistic"]["numberOfEvents"] = "265"
    assert check_bundle(valid_bundle, r5_definitions) == [
        f"{EVIDENCE}.status: Evidence.status does not repeat (max 1): found an array",
        f"{EVIDENCE}.statistic: Evidence.statistic repeats: its JSON value must be an array",
        f'{EVIDENCE}.statistic[0].numberOfEvents: unsignedInt value "265" has the wrong JSON type (a string)',
    ]


def test_decimals_are_finite_json_numbers(
    valid_bundle: dict[str, Any], r5_definitions: R5Definitions
) -> None:
    statistic = evidence(valid_bundle)["statistic"][0]
    statistic["attributeEstimate"].append({"type": {"text": "p-value"}, "quantity": {"value": 1e-05}})
    assert check_bundle(valid_bundle, r5_definitions) == []
    statistic["attributeEstimate"][1]["quantity"]["value"] = float("nan")
    assert check_bundle(valid_bundle, r5_definitions) == [
        f"{EVIDENCE}.statistic[0].attributeEstimate[1].quantity.value: decimal value nan is not a finite"
        " number"
    ]


def test_a_violated_invariant(valid_bundle: dict[str, Any], r5_definitions: R5Definitions) -> None:
    valid_bundle["entry"][3]["fullUrl"] = valid_bundle["entry"][2]["fullUrl"]
    problems = check_bundle(valid_bundle, r5_definitions)
    assert problems[0] == (
        "Bundle: invariant bdl-7 violated: FullUrl must be unique in a bundle, or else entries with the"
        " same fullUrl must have different meta.versionId (except in history bundles)"
    )
    variable = valid_bundle["entry"][2]["resource"]
    valid_bundle["entry"][3]["fullUrl"] = BASE + "EvidenceVariable/orr"
    variable["characteristic"] = [
        {"definitionCanonical": BASE + "EvidenceVariable/orr", "definitionCodeableConcept": {"text": "DRd"}}
    ]
    assert check_bundle(valid_bundle, r5_definitions) == [
        "Bundle.entry[2].resource(EvidenceVariable/drd).characteristic[0]: invariant evv-1 violated: In a"
        " characteristic, at most one of these six elements shall be used: definitionReference or"
        " definitionCanonical or definitionCodeableConcept or definitionId or definitionByTypeAndValue or"
        " definitionByCombination"
    ]


def test_an_empty_element(valid_bundle: dict[str, Any], r5_definitions: R5Definitions) -> None:
    evidence(valid_bundle)["statistic"][0]["sampleSize"] = {}
    assert check_bundle(valid_bundle, r5_definitions) == [
        f"{EVIDENCE}.statistic[0].sampleSize: invariant ele-1 violated: All FHIR elements must have a"
        " @value or children"
    ]


def test_a_malformed_date(valid_bundle: dict[str, Any], r5_definitions: R5Definitions) -> None:
    valid_bundle["entry"][0]["resource"]["citedArtifact"]["publicationForm"][0]["articleDate"] = "2016-13-45"
    assert check_bundle(valid_bundle, r5_definitions) == [
        "Bundle.entry[0].resource(Citation/pollux).citedArtifact.publicationForm[0].articleDate: dateTime"
        ' value "2016-13-45" does not match the dateTime regex'
    ]


def test_an_extension_in_place_of_a_primitive_value(
    valid_bundle: dict[str, Any], r5_definitions: R5Definitions
) -> None:
    resource = evidence(valid_bundle)
    absent = {"url": "http://hl7.org/fhir/StructureDefinition/data-absent-reason", "valueCode": "unknown"}
    del resource["statistic"][0]["numberOfEvents"]
    resource["statistic"][0]["_numberOfEvents"] = {"extension": [absent]}
    assert check_bundle(valid_bundle, r5_definitions) == []
    # The only child of its element: ele-1 still holds.
    resource["statistic"][0]["sampleSize"] = {"_knownDataCount": {"extension": [absent]}}
    assert check_bundle(valid_bundle, r5_definitions) == []
    resource["statistic"][0]["_numberOfEvents"] = {"extension": [{"url": absent["url"]}]}
    assert check_bundle(valid_bundle, r5_definitions) == [
        f"{EVIDENCE}.statistic[0]._numberOfEvents.extension[0]: invariant ext-1 violated: Must have either"
        " extensions or value[x], not both"
    ]


def test_a_value_set_the_packages_cannot_expand_is_reported(
    valid_bundle: dict[str, Any], r5_definitions: R5Definitions
) -> None:
    evidence(valid_bundle)["language"] = "en"
    assert check_bundle(valid_bundle, r5_definitions) == [
        f'{EVIDENCE}.language: code "en" cannot be checked against http://hl7.org/fhir/ValueSet/all-languages'
        " (required binding): value set http://hl7.org/fhir/ValueSet/all-languages includes all of"
        " urn:ietf:bcp:47, whose codes the definition packages do not enumerate"
    ]
    with pytest.raises(CannotExpand):
        r5_definitions.expand("http://hl7.org/fhir/ValueSet/mimetypes|5.0.0")


def test_expansions_come_from_the_packages(r5_definitions: R5Definitions) -> None:
    status = r5_definitions.expand("http://hl7.org/fhir/ValueSet/publication-status|5.0.0")
    system = "http://hl7.org/fhir/publication-status"
    assert status == {(system, code) for code in ("draft", "active", "retired", "unknown")}
    roles = r5_definitions.expand("http://hl7.org/fhir/ValueSet/variable-role")
    assert ("http://terminology.hl7.org/CodeSystem/variable-role", "population") in roles


def test_is_a_filters_expand_to_the_code_and_its_descendants(r5_definitions: R5Definitions) -> None:
    """No value set these resources bind filters a code system today; the filters are checked on one
    that does: HL7 Terminology's v3 ActEncounterCode (is-a _ActEncounterCode, less that code)."""
    system = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
    codes = {
        code for _, code in r5_definitions.expand("http://terminology.hl7.org/ValueSet/v3-ActEncounterCode")
    }
    assert {"AMB", "EMER", "IMP"} <= codes
    assert "_ActEncounterCode" not in codes
    code_system = r5_definitions.code_system(system)
    assert code_system is not None
    assert codes == code_system.descendants("_ActEncounterCode")
    assert "_ActAccountCode" in code_system.codes and "_ActAccountCode" not in codes


def invariants_of(definitions: R5Definitions) -> dict[str, str]:
    """Every error-severity invariant of the five resources, their bases and their datatypes."""
    found: dict[str, str] = {}
    seen: set[str] = set()
    todo = list(ROOTS)
    while todo:
        name = todo.pop()
        structure = definitions.structure(name)
        if name in seen or structure is None:
            continue
        seen.add(name)
        if structure.base:
            todo.append(structure.base)
        for element in structure.elements.values():
            todo.extend(t["code"] for t in element.get("type", []))
            for constraint in element.get("constraint", []):
                if constraint["severity"] == "error":
                    found[constraint["key"]] = constraint["expression"]
    return found


def test_the_unevaluated_invariants_are_exactly_those_fhirpathpy_cannot_evaluate(
    r5_definitions: R5Definitions,
) -> None:
    invariants = invariants_of(r5_definitions)
    assert {"ele-1", "ext-1", "dom-3", "bdl-7", "evv-1", "ref-1"} <= invariants.keys()
    cannot = {key for key, expression in invariants.items() if missing_functions(expression)}
    assert cannot == set(UNEVALUATED)


def test_the_packages_are_verified(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    forged = tmp_path / "hl7.fhir.r5.core-5.0.0.tgz"
    forged.write_bytes(b"not the package")
    spec = PACKAGES[0]
    monkeypatch.setenv(spec.env, str(forged))
    with pytest.raises(DefinitionsUnavailable, match=r"is not hl7\.fhir\.r5\.core@5\.0\.0 .* delete it"):
        package_path(spec)
    monkeypatch.setenv(spec.env, str(tmp_path / "absent.tgz"))
    with pytest.raises(
        DefinitionsUnavailable, match=re.escape("is not a file: point it at hl7.fhir.r5.core-5.0.0.tgz")
    ):
        package_path(spec)
    other = PackageSpec("x", "1", integrity_of(forged), "MMKB_TEST_UNSET")
    monkeypatch.delenv("MMKB_TEST_UNSET", raising=False)
    with pytest.raises(DefinitionsUnavailable, match=r"is missing: run scripts/test or npm pack x@1"):
        package_path(other, fetch=False)
