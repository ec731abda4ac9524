"""Records as text lines for the command line: a study, a claim's provenance, the conflict findings; each
record with its IRI and each publication with its DOI and PubMed links, as <URL> a terminal can follow."""

from __future__ import annotations

from kb.records import Claim, Conflict, Evidence, Publication, StudyDetail


def _at(*urls: str) -> str:
    """The known URLs as " <URL>" each ("" when none is known)."""
    return "".join(f" <{url}>" for url in urls if url)


def _publication_links(publication: Publication) -> str:
    """A publication's DOI and PubMed links, else its own IRI."""
    return _at(publication.doi_url, publication.pubmed_url) or _at(publication.iri)


def _evidence(ev: Evidence) -> str:
    where = ev.document_label or ev.document
    if ev.kind == "table":
        return f"{where}: {ev.table}, row {ev.row!r}, column {ev.column!r}"
    return f'{where}: "{ev.exact}"'


def claim_lines(claim: Claim) -> list[str]:
    """What a claim says and where it comes from: values, source, verification, evidence, curation."""
    out = [f"{claim.id}: {', '.join(claim.types)} about {claim.about}{_at(claim.iri)}"]
    out += [f"  {name}: {value}" for name, value in sorted(claim.values.items())]
    out.append(f"  source: {claim.source.label or claim.source.id}{_publication_links(claim.source)}")
    if claim.verification:
        out.append(f"  verification: {claim.verification}")
    out += [f"  evidence: {_evidence(ev)}" for ev in claim.evidence]
    if claim.curation is not None:
        c = claim.curation
        out.append(f"  curated: {c.label or c.id} by {c.curator or '?'} {c.ended_at}".rstrip())
    return out


def study_lines(study: StudyDetail) -> list[str]:
    """A study: design, publications, cohorts with sizes, regimens with components, outcome claims."""
    out = [f"{study.id}: {study.label}{_at(study.iri)}"]
    if study.design:
        rank = f", evidence rank {study.evidence_rank}" if study.evidence_rank is not None else ""
        out.append(f"  design: {study.design_label or study.design}{rank}")
    out += [f"  registry: {r.nct_id}{_at(r.url)}" for r in study.registrations]
    out += [f"  publication: {p.id} {p.label}".rstrip() + _publication_links(p) for p in study.publications]
    for cohort in study.cohorts:
        sizes = f" (n = {', '.join(map(str, cohort.sizes))})" if cohort.sizes else ""
        parent = f", subgroup of {cohort.subgroup_of}" if cohort.subgroup_of else ""
        out.append(f"  cohort: {cohort.id} {cohort.label}{sizes}{parent}{_at(cohort.iri)}")
    for regimen in study.regimens:
        cohorts = ", ".join(regimen.cohorts)
        out.append(f"  regimen: {regimen.id} {regimen.label} (cohorts {cohorts}){_at(regimen.iri)}")
        for c in regimen.components:
            dose = f" {c.dose} {c.unit}" if c.dose is not None else ""
            schedule = f", {c.schedule}" if c.schedule else ""
            out.append(f"    {c.drug_label or c.drug}{dose}{schedule}")
    for claim in study.outcomes:
        out += ["  " + line for line in claim_lines(claim)]
    return out


def conflict_lines(conflicts: list[Conflict]) -> list[str]:
    """One line per finding (id, rule, message, IRI), then each involved claim with its source and IRI."""
    out = []
    for conflict in conflicts:
        out.append(f"{conflict.id} [{conflict.rule}]: {conflict.message}{_at(conflict.iri)}")
        out += [f"  {i.id} ({i.source_label}){_at(i.iri)}" for i in conflict.involves]
    return out
