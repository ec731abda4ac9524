"""Schemathesis with all its checks over every operation: no server error and no answer the schema does
not describe (status, media type, body, headers); invalid input refused, 405s with their Allow header."""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import GenerationMode
from schemathesis.checks import CHECKS, load_all_checks
from schemathesis.specs.openapi.checks import positive_data_acceptance

from api import schemas
from api.app import create_app
from api.settings import Settings
from kb import records
from kb.analysis.response_table import CI_METHODS, GROUPINGS, PATIENT_ATTRIBUTES, THRESHOLDS
from kb.knowledge_base import KnowledgeBase
from kb.render.tables import FORMATS

load_all_checks()
# A direct POST carries the query as text, as schemathesis already sends text/plain.
schemathesis.serializer.alias("application/sparql-query", "text/plain")
ALL_CHECKS = CHECKS.get_all()
# Examples per operation: enough to reach each parameter's edge cases, few enough for a run of seconds.
EXAMPLES = 30
# The comparison's filters (api/routes/compare.py, used by the forest plot too) name things the knowledge
# base holds, so the schema declares them as free text: a generated name it does not hold is rightly
# refused 422 with the valid names. Only cases that send one of them skip the check that valid data is
# accepted; every other case of these operations, and every other check, runs.
DATA_DEPENDENT = {
    "GET /compare/response-rate": ("drug", "drug_class", "refractory", "design"),
    "GET /compare/{endpoint}": ("drug", "drug_class", "refractory", "design"),
    "GET /plots/forest.svg": ("drug", "drug_class", "refractory", "design"),
    "GET /plots/forest.png": ("drug", "drug_class", "refractory", "design"),
    "GET /plots/forest.pdf": ("drug", "drug_class", "refractory", "design"),
}
# Grouping by a patient attribute counts responses in patient records: it is defined for response only. A
# schema cannot tie one parameter's values to another's, so a case grouping another endpoint by one is
# rightly refused 422 (naming the groupings that endpoint takes).
PATIENT_GROUPED = frozenset(PATIENT_ATTRIBUTES)


def _patient_grouping_of_other_endpoint(case: schemathesis.Case) -> bool:
    query = case.query or {}
    endpoint = (case.path_parameters or {}).get("endpoint") or query.get("endpoint") or "response"
    return endpoint != "response" and query.get("by") in PATIENT_GROUPED


# Any string fits the schema of a SPARQL query, but not every string is SPARQL: a generated one is rightly
# refused 400. On /sparql every other check runs.
FREE_TEXT_OPERATIONS = {"GET /sparql", "POST /sparql"}

# Built at collection, as the pytest integration needs the schema then; TestClient's host allowed.
APP = create_app(KnowledgeBase.open(), Settings.from_env(allowed_hosts=("testserver",)))
schema = schemathesis.openapi.from_asgi("/openapi.json", APP)
schema.config.generation.update(modes=list(GenerationMode), max_examples=EXAMPLES)


@schema.parametrize()
@settings(deadline=None, suppress_health_check=list(HealthCheck), database=None)
def test_every_operation_conforms(case: schemathesis.Case) -> None:
    names = DATA_DEPENDENT.get(case.operation.label, ())
    free_text = case.operation.label in FREE_TEXT_OPERATIONS
    sends_name = any((case.query or {}).get(n) is not None for n in names)
    refused = free_text or sends_name or _patient_grouping_of_other_endpoint(case)
    excluded = [positive_data_acceptance] if refused else []
    case.call_and_validate(checks=ALL_CHECKS, excluded_checks=excluded)


def test_comparison_declares_its_fixed_values_as_enums() -> None:
    paths = APP.openapi()["paths"]
    for path in ("/compare/response-rate", "/plots/forest.svg"):
        parameters = {p["name"]: p for p in paths[path]["get"]["parameters"]}
        assert parameters["by"]["schema"]["enum"] == list(GROUPINGS + PATIENT_ATTRIBUTES)
        assert parameters["threshold"]["schema"]["enum"] == list(THRESHOLDS)
        assert parameters["ci"]["schema"]["enum"] == list(CI_METHODS)
        for name in DATA_DEPENDENT[f"GET {path}"]:
            assert "enum" not in parameters[name]["schema"]
            assert "answered 422, `valid` listing the names" in parameters[name]["description"]
    parameters = {p["name"]: p for p in paths["/compare/response-rate"]["get"]["parameters"]}
    assert parameters["format"]["schema"]["enum"] == list(FORMATS)


def test_each_response_shape_is_defined_once_and_named_after_it() -> None:
    # The records come from kb.records as they are, the service's own models from api.schemas; FastAPI's
    # validation errors are the only others. No shape is described twice (no -Input/-Output variants).
    names = set(APP.openapi()["components"]["schemas"])
    own = {name for name in vars(records) | vars(schemas) if name[:1].isupper()}
    assert names - own == {"HTTPValidationError", "ValidationError"}
    assert {"StudyDetail", "ClaimWithDerivation", "Derivation", "DerivationInput", "QuestionAnswer"} <= names
