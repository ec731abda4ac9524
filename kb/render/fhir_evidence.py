"""One figure of the knowledge base as a FHIR R5 `Evidence` (EBM-on-FHIR): the population (the cohort's
Group), the exposure (its regimen) and, for a comparison, the reference exposure (the comparator arm's
regimen), the measured variable, the statistic, the study design, the caveats as certainty entries, and the
provenance: the Citation it comes from, the quote or table cell, whether it is reported, derived or
reconstructed and how."""

from __future__ import annotations

from dataclasses import dataclass, field

from kb.analysis.count_figures import source_rank
from kb.analysis.endpoint_table import ALL_CAVEATS
from kb.analysis.table_rows import DESIGN_CAVEATS
from kb.links import registry_url
from kb.namespaces import ID_IRI, MM_IRI, local_name
from kb.records import Claim
from kb.render.fhir_codes import (
    BASELINE_ENDPOINTS,
    CAVEAT_SYSTEM,
    CERTAINTY_DOMAINS,
    CERTAINTY_TYPE,
    EXTENSION_BASE,
    JSON,
    STUDY_DESIGN,
    STUDY_DESIGNS,
    coding,
    concept,
    identifier,
    mm_coding,
    role,
)
from kb.render.fhir_resources import fhir_id, reference
from kb.render.fhir_statistic import Figure, statistic

ORIGIN_CAVEATS = {
    "CountDerived": "RECONSTRUCTED",
    "CountReconstructed": "RECONSTRUCTED",
    "CountAmbiguous": "AMBIGUOUS_COUNT",
    "CountInconsistent": "INCONSISTENT_COUNT",
    "CountUnknown": "UNKNOWN_COUNT",
}
TIME_TO_EVENT = ("TimeToEventMedian", "HazardRatio", "LandmarkRate", "RiskReduction")


@dataclass(frozen=True)
class Setting:
    """What the Evidence of one claim needs beside the claim: its cohort, study and references."""

    cohort: str  # the cohort's IRI
    cohort_label: str
    study_label: str
    study_iri: str
    design: str  # the design's local name
    design_label: str
    registry: tuple[str, ...]  # the study's registry numbers
    exposure: JSON | None  # the Reference of the cohort's regimen variable, or None
    comparator: tuple[str, JSON] | None  # (the comparator arm's label, the Reference of its regimen variable)
    outcome: JSON  # the Reference of the measured variable
    outcome_title: str
    endpoint: str  # the endpoint's local name
    data_cut: str = ""  # the data cut's label
    size: int | None = None  # the cohort's size, where its sources give one
    overlapping: bool = False  # the cohort shares patients with another
    conflicts: tuple[str, ...] = ()  # sentences: what disagrees with this figure
    documents: dict[str, JSON] = field(default_factory=dict)  # a source document's id -> its Reference


def caveats(claim: Claim, figure: Figure, setting: Setting) -> list[str]:
    """The caveat codes of this one figure (the codes and sentences of the comparison tables)."""
    found = set()
    design = DESIGN_CAVEATS.get(MM_IRI + setting.design)
    if design:
        found.add(design)
    n = figure.whole("denominator") if figure.kind in ("Proportion", "RecordCount") else setting.size
    if n is not None and n < 10:
        found.add("SMALL_N")
    x = figure.whole("numerator")
    if x is not None and n is not None and x in (0, n):
        found.add("BOUNDARY")
    origin = figure.values.get("countOrigin")
    if isinstance(origin, str) and origin in ORIGIN_CAVEATS:
        found.add(ORIGIN_CAVEATS[origin])
    if figure.kind in ("Proportion", "RecordCount") and figure.unknown("denominator"):
        found.add("UNKNOWN_DENOMINATOR")
    if claim.verification and source_rank({"verification": MM_IRI + claim.verification}) > 0:
        found.add("SECONDARY_SOURCE")
    if figure.values.get("median") == "NotReached":
        found.add("IMMATURE_MEDIAN")
    if figure.kind == "TimeToEventValue":
        found.add("NOT_A_MEDIAN")
    if "NotEstimable" in (figure.values.get("ciLow"), figure.values.get("ciHigh")):
        found.add("NOT_ESTIMABLE")
    has_estimate = any(figure.number(k) is not None for k in ("median", "estimate", "percent"))
    has_interval = "ciLow" in figure.values or "ciHigh" in figure.values
    if figure.kind in TIME_TO_EVENT and has_estimate and not has_interval:
        found.add("ESTIMATE_ONLY")
    if setting.overlapping:
        found.add("OVERLAPPING_COHORTS")
    if setting.conflicts:
        found.add("CONFLICT")
    return [code for code in ALL_CAVEATS if code in found]


def _certainty(code: str) -> JSON:
    codings = [coding(CERTAINTY_TYPE, *CERTAINTY_DOMAINS[code])] if code in CERTAINTY_DOMAINS else []
    codings.append(coding(CAVEAT_SYSTEM, code))
    return {"description": ALL_CAVEATS[code], "type": concept(*codings, text=code)}


def _extension(name: str, term: str, labels: dict[str, str]) -> JSON:
    return {"url": EXTENSION_BASE + name, "valueCoding": mm_coding(term, labels.get(term, ""))}


def _provenance(claim: Claim, setting: Setting) -> list[JSON]:
    """Where the figure is printed (each quote or table cell, in its document), the study, and the records
    a computed figure is derived from."""
    out = []
    for evidence in claim.evidence:
        if evidence.kind == "table":
            where = [f"{evidence.table}"] + [
                f"{name} '{text}'"
                for name, text in (("row", evidence.row), ("column", evidence.column))
                if text
            ]
            shown, label = ", ".join(where), "table cell"
        else:
            shown, label = evidence.exact, "quote"
        artifact: JSON = {"type": "derived-from", "label": label, "display": shown}
        if evidence.document in setting.documents:
            artifact["resourceReference"] = setting.documents[evidence.document]
        if evidence.url:
            artifact["document"] = {"url": evidence.url}
        out.append(artifact)
    for record in _derived_from(claim):
        out.append(
            {"type": "derived-from", "label": "record", "display": local_name(record), "resource": record}
        )
    study: JSON = {"type": "documentation", "label": "study", "display": setting.study_label}
    study["resource"] = setting.study_iri
    out.append(study)
    for number in setting.registry:
        out.append(
            {
                "type": "documentation",
                "label": "registry",
                "display": number,
                "document": {"url": registry_url(number)},
            }
        )
    return out


def _derived_from(claim: Claim) -> list[str]:
    found = claim.values.get("wasDerivedFrom", [])
    names = found if isinstance(found, list) else [found]
    return [ID_IRI + name for name in sorted(names)]


def _variables(setting: Setting) -> list[JSON]:
    out = [
        {
            "description": setting.cohort_label,
            "variableRole": role("population", "population"),
            "observed": reference("Group", fhir_id(local_name(setting.cohort)), setting.cohort_label),
        }
    ]
    if setting.exposure is not None and setting.endpoint not in BASELINE_ENDPOINTS:
        out.append({"variableRole": role("exposure", "exposure"), "observed": setting.exposure})
    if setting.comparator is not None:
        label, observed = setting.comparator
        out.append(
            {
                "description": f"comparator: {label}",
                "variableRole": role("referenceExposure", "reference exposure"),
                "observed": observed,
            }
        )
    out.append(
        {
            "description": setting.outcome_title,
            "variableRole": role("measuredVariable", "measured variable"),
            "observed": setting.outcome,
        }
    )
    return out


def evidence(claim: Claim, iri: str, figure: Figure, setting: Setting, landmark_text: str = "") -> JSON:
    """The Evidence of one claim (`iri`), about the cohort of `setting`."""
    labels = figure.labels
    printed = claim.source.label or claim.source.id
    quote = next((e.exact for e in claim.evidence if e.kind == "quote" and e.exact), "")
    extensions = [_extension("derivation", claim.derivation, labels)] if claim.derivation else []
    if claim.verification:
        extensions.append(_extension("verification", claim.verification, labels))
    if setting.data_cut:
        extensions.append({"url": EXTENSION_BASE + "data-cut", "valueString": setting.data_cut})
    out: JSON = {"resourceType": "Evidence", "id": fhir_id(claim.id)}
    if extensions:
        out["extension"] = extensions
    out |= {
        "url": iri,
        "identifier": [identifier(iri)],
        "title": f"{setting.cohort_label}: {setting.outcome_title}",
        "citeAsReference": setting.documents.get(
            claim.source.id, reference("Citation", fhir_id(claim.source.id))
        ),
        "status": "active",
    }
    if claim.curation is not None and claim.curation.ended_at:
        out["date"] = claim.curation.ended_at
    out["relatedArtifact"] = _provenance(claim, setting)
    if claim.derivation in ("", "Reported"):
        out["description"] = f"As {printed} reports it" + (f': "{quote}"' if quote else ".")
    else:
        how = claim.values.get("derivationNote")
        out["description"] = f"Derived by mmkb from what {printed} reports" + (f": {how}" if how else ".")
    notes = [
        str(claim.values[k])
        for k in ("curatorNote", "derivationNote")
        if isinstance(claim.values.get(k), str)
    ]
    notes += list(setting.conflicts)
    if notes:
        out["note"] = [{"text": text} for text in notes]
    out["variableDefinition"] = _variables(setting)
    out["studyDesign"] = [
        concept(mm_coding(setting.design, setting.design_label), text=setting.design_label)
    ] + [
        concept(coding(STUDY_DESIGN, code, display))
        for code, display in STUDY_DESIGNS.get(setting.design, ())
    ]
    described = quote or claim.values.get("derivationNote") or setting.outcome_title
    figure_statistic = statistic(
        figure, description=str(described), printed=printed, landmark_text=landmark_text
    )
    if "sampleSize" not in figure_statistic and setting.size is not None:
        figure_statistic["sampleSize"] = {
            "description": "the cohort's size as its sources give it",
            "numberOfParticipants": setting.size,
        }
    out["statistic"] = [figure_statistic]
    found = caveats(claim, figure, setting)
    if found:
        out["certainty"] = [_certainty(code) for code in found]
    return out
