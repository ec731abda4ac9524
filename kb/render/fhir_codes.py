"""The codes a FHIR R5 export of the knowledge base uses: mmkb's own terms as codings, and what each maps to
in the code systems FHIR binds (statistic types, study designs, data-absent reasons, certainty types, UCUM
units). Plain data and small constructors, no queries."""

from __future__ import annotations

from typing import Any

from kb.namespaces import ID_IRI, MM_IRI

JSON = dict[str, Any]

# mmkb's vocabulary as a code system: a term's code is its local name (mm:NotReached -> NotReached).
MM_SYSTEM = MM_IRI.rstrip("#")
CAVEAT_SYSTEM = "https://w3id.org/mmkb/fhir/CodeSystem/caveat"
ID_SYSTEM = ID_IRI  # a record's identifier: this system and its local name give its IRI
FULL_URL_BASE = "https://w3id.org/mmkb/fhir/"  # entries' fullUrl: BASE + Type/id
EXTENSION_BASE = "https://w3id.org/mmkb/fhir/StructureDefinition/"

STATISTIC_TYPE = "http://terminology.hl7.org/CodeSystem/statistic-type"
ESTIMATE_TYPE = "http://terminology.hl7.org/CodeSystem/attribute-estimate-type"
VARIABLE_ROLE = "http://terminology.hl7.org/CodeSystem/variable-role"
DATA_ABSENT = "http://terminology.hl7.org/CodeSystem/data-absent-reason"
DATA_ABSENT_EXTENSION = "http://hl7.org/fhir/StructureDefinition/data-absent-reason"
STUDY_DESIGN = "http://hl7.org/fhir/study-design"
CERTAINTY_TYPE = "http://hl7.org/fhir/certainty-type"
UCUM = "http://unitsofmeasure.org"
DOI_SYSTEM = "https://doi.org"
PUBMED_SYSTEM = "https://pubmed.ncbi.nlm.nih.gov"
REGISTRY_SYSTEM = "https://clinicaltrials.gov"

# statistic-type codes (NCIt), by name
PROPORTION = ("C44256", "Proportion")
MEDIAN = ("C28007", "Median")
HAZARD_RATIO = ("C93150", "Hazard Ratio")
COUNT = ("C25463", "Count")
CONFIDENCE_INTERVAL = ("C53324", "Confidence interval")
P_VALUE = ("C44185", "P-value")
RANGE = ("C38013", "Range")

# A typed unknown as FHIR's data-absent reason; the mmkb term itself travels beside it (missingness()).
DATA_ABSENT_REASONS = {
    "NotReported": "unknown",  # a value that exists but no curated source gives
    "LostInExtraction": "error",  # printed, but lost by the text extraction
    "NotReached": "temp-unknown",  # a median not reached at the data cut: it may become known
    "NotEstimable": "not-a-number",  # the data could not estimate it
    "NotApplicable": "not-applicable",
}

# Each study design as the SEVCO study-design codes that describe it.
STUDY_DESIGNS: dict[str, tuple[tuple[str, str], ...]] = {
    "RandomizedPhase3": (("SEVCO:01003", "randomized assignment"), ("SEVCO:01035", "Phase 3 Trial")),
    "Phase2": (("SEVCO:01033", "Phase 2 trial"),),
    "Phase1bSingleArm": (("SEVCO:01030", "Phase 1 trial"), ("SEVCO:01016", "Uncontrolled cohort design")),
    "PooledPostHocAnalysis": (("SEVCO:01049", "Secondary data collection from prior research"),),
    "RetrospectiveSeries": (
        ("SEVCO:01002", "Observational research"),
        ("SEVCO:01016", "Uncontrolled cohort design"),
    ),
    "CaseSeries": (
        ("SEVCO:01002", "Observational research"),
        ("SEVCO:01023", "Non-comparative study design"),
    ),
    "CaseReport": (("SEVCO:01017", "Case report"),),
}

# The certainty domain (GRADE) a caveat bears on, where it bears on one; the caveat code is the finer coding.
CERTAINTY_DOMAINS = {
    "SMALL_N": ("Imprecision", "Imprecision"),
    "AMBIGUOUS_COUNT": ("Imprecision", "Imprecision"),
    "IMMATURE_MEDIAN": ("Imprecision", "Imprecision"),
    "NOT_ESTIMABLE": ("Imprecision", "Imprecision"),
    "CASE_REPORT": ("RiskOfBias", "Risk of bias"),
    "CASE_SERIES": ("RiskOfBias", "Risk of bias"),
    "RETROSPECTIVE": ("RiskOfBias", "Risk of bias"),
    "CONFLICT": ("Inconsistency", "Inconsistency"),
    "INDIRECT": ("Indirectness", "Indirectness"),
}

# mmkb's units as UCUM codes (an annotation in braces where UCUM has no unit: lines, cycles).
UCUM_UNITS = {
    "months": "mo",
    "years": "a",
    "mg": "mg",
    "mgPerKg": "mg/kg",
    "lines": "{lines}",
    "cycles": "{cycles}",
}

# Endpoints that describe who the patients were rather than what the regimen did: their Evidence has no
# exposure (a baseline measure); every other endpoint is an outcome of the cohort's regimen.
BASELINE_ENDPOINTS = frozenset(
    {
        "CohortSize",
        "PriorLinesOfTherapy",
        "RefractoryProportion",
        "PriorASCTProportion",
        "ThreeOrMorePriorLines",
        "HighRiskCytogenetics",
        "FollowUp",
        "Age",
        "TimeFromDiagnosis",
        "TimeSinceLastIMiD",
        "PriorRegimenDuration",
        "ISSStage",
    }
)
OUTCOME_ENDPOINTS = frozenset(
    {
        "Response",
        "ProgressionFreeSurvival",
        "OverallSurvival",
        "DurationOfResponse",
        "TimeToResponse",
        "ProgressionOrDeathEvents",
        "MRDNegativity",
        "AdverseEventGrade3Plus",
        "AdverseEventAnyGrade",
        "SignificantToxicity",
        "StillOnTherapy",
    }
)


def coding(system: str, code: str, display: str = "") -> JSON:
    out = {"system": system, "code": code}
    if display:
        out["display"] = display
    return out


def concept(*codings: JSON, text: str = "") -> JSON:
    out: JSON = {}
    if codings:
        out["coding"] = list(codings)
    if text:
        out["text"] = text
    return out


def mm_coding(term: str, label: str = "") -> JSON:
    """An mmkb term (its IRI or local name) as a Coding of the mmkb vocabulary."""
    return coding(MM_SYSTEM, term.removeprefix(MM_IRI), label)


def missingness(term: str, label: str = "") -> list[JSON]:
    """The extensions that stand for a typed unknown: FHIR's data-absent reason and the mmkb term."""
    code = term.removeprefix(MM_IRI)
    return [
        # a typed unknown declared beyond the shipped vocabulary: FHIR's generic "unknown", the term beside it
        {"url": DATA_ABSENT_EXTENSION, "valueCode": DATA_ABSENT_REASONS.get(code, "unknown")},
        {"url": EXTENSION_BASE + "missingness", "valueCoding": mm_coding(code, label)},
    ]


def role(code: str, display: str) -> JSON:
    return concept(coding(VARIABLE_ROLE, code, display))


def identifier(iri: str) -> JSON:
    """A curated record's identifier: its IRI split into the id namespace and its local name."""
    return {"system": ID_SYSTEM, "value": iri.removeprefix(ID_IRI)}
