"""Fixtures of the FHIR tests: the R5 definitions, loaded once per session, and a small valid bundle.

A test file in tests/fhir/ checks a bundle with
`from tests.fhir.r5_conformance import check_bundle, validate_models` and the `r5_definitions` fixture.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from tests.fhir.r5_conformance import DefinitionsUnavailable, R5Definitions

STATISTIC_TYPE = "http://terminology.hl7.org/CodeSystem/statistic-type"
ATTRIBUTE_ESTIMATE_TYPE = "http://terminology.hl7.org/CodeSystem/attribute-estimate-type"
VARIABLE_ROLE = "http://terminology.hl7.org/CodeSystem/variable-role"
BASE = "https://w3id.org/mmkb/fhir/"


@pytest.fixture(scope="session")
def r5_definitions() -> R5Definitions:
    """The R5 core and HL7 Terminology definitions (fetched with npm pack into .cache/fhir when missing,
    integrity-checked). A test fails, never skips, when they cannot be had."""
    try:
        return R5Definitions.load()
    except DefinitionsUnavailable as reason:
        pytest.fail(f"FHIR R5 definitions unavailable: {reason}", pytrace=False)


VALID_BUNDLE: dict[str, Any] = {
    "resourceType": "Bundle",
    "id": "mmkb-sample",
    "type": "collection",
    "timestamp": "2026-11-30T12:00:00Z",
    "entry": [
        {
            "fullUrl": BASE + "Citation/pollux",
            "resource": {
                "resourceType": "Citation",
                "id": "pollux",
                "url": BASE + "Citation/pollux",
                "status": "active",
                "citedArtifact": {
                    "identifier": [{"system": "https://doi.org", "value": "10.1056/NEJMoa1607751"}],
                    "title": [{"text": "Daratumumab, Lenalidomide, and Dexamethasone for Multiple Myeloma"}],
                    "publicationForm": [
                        {
                            "publishedIn": {"title": "New England Journal of Medicine"},
                            "articleDate": "2016-10-06",
                        }
                    ],
                },
            },
        },
        {
            "fullUrl": BASE + "Group/pollux-itt",
            "resource": {
                "resourceType": "Group",
                "id": "pollux-itt",
                "name": "POLLUX intention-to-treat population",
                "type": "person",
                "membership": "definitional",
                "characteristic": [
                    {
                        "code": {"text": "relapsed or refractory multiple myeloma"},
                        "valueBoolean": True,
                        "exclude": False,
                    }
                ],
            },
        },
        {
            "fullUrl": BASE + "EvidenceVariable/drd",
            "resource": {
                "resourceType": "EvidenceVariable",
                "id": "drd",
                "url": BASE + "EvidenceVariable/drd",
                "title": "Daratumumab, lenalidomide and dexamethasone",
                "status": "active",
                "handling": "dichotomous",
            },
        },
        {
            "fullUrl": BASE + "EvidenceVariable/orr",
            "resource": {
                "resourceType": "EvidenceVariable",
                "id": "orr",
                "url": BASE + "EvidenceVariable/orr",
                "title": "Overall response rate",
                "status": "active",
                "handling": "dichotomous",
            },
        },
        {
            "fullUrl": BASE + "Evidence/pollux-drd-orr",
            "resource": {
                "resourceType": "Evidence",
                "id": "pollux-drd-orr",
                "url": BASE + "Evidence/pollux-drd-orr",
                "title": "POLLUX: overall response with DRd",
                "status": "active",
                "citeAsReference": {"reference": "Citation/pollux"},
                "variableDefinition": [
                    {
                        "variableRole": {"coding": [{"system": VARIABLE_ROLE, "code": "population"}]},
                        "observed": {"reference": "Group/pollux-itt"},
                    },
                    {
                        "variableRole": {"coding": [{"system": VARIABLE_ROLE, "code": "exposure"}]},
                        "observed": {"reference": BASE + "EvidenceVariable/drd"},
                    },
                    {
                        "variableRole": {"coding": [{"system": VARIABLE_ROLE, "code": "measuredVariable"}]},
                        "observed": {"reference": "EvidenceVariable/orr"},
                    },
                ],
                "statistic": [
                    {
                        "description": "Overall response, DRd arm",
                        "statisticType": {
                            "coding": [{"system": STATISTIC_TYPE, "code": "C44256", "display": "Proportion"}]
                        },
                        "quantity": {"value": 0.929},
                        "numberOfEvents": 265,
                        "sampleSize": {"knownDataCount": 286},
                        "attributeEstimate": [
                            {
                                "type": {
                                    "coding": [
                                        {
                                            "system": ATTRIBUTE_ESTIMATE_TYPE,
                                            "code": "C53324",
                                            "display": "Confidence interval",
                                        }
                                    ]
                                },
                                "level": 0.95,
                                "range": {"low": {"value": 0.891}, "high": {"value": 0.957}},
                            }
                        ],
                    }
                ],
            },
        },
    ],
}


@pytest.fixture
def valid_bundle() -> dict[str, Any]:
    """A small valid R5 bundle: a Citation, a Group, two EvidenceVariables and an Evidence that refers to
    them; a fresh copy for each test to change."""
    return copy.deepcopy(VALID_BUNDLE)
