"""mmkb new study ID: a commented skeleton of a study file, for curators who write Turtle.

Every place to fill in holds a term or record that is not declared (mm:FILL-IN-..., id:pub-FILL-IN), so
`mmkb validate` fails until each is replaced and its message lists the declared terms to choose from."""

from __future__ import annotations

import re
from datetime import UTC, datetime

_ID = re.compile(r"^[a-z0-9][a-z0-9-]*$")

SKELETON = """\
# A study file of the mmkb knowledge base: {short}. docs/curation.md is the contract for this file.
# Replace every FILL-IN, run `mmkb validate` (it names each place still to fill and the terms to
# choose from), then `mmkb lint --fix` (canonical form keeps no comments: move what a reader needs to
# know into mm:curatorNote).
@prefix mm:      <https://w3id.org/mmkb/vocab#> .
@prefix id:      <https://w3id.org/mmkb/id/> .
@prefix oa:      <http://www.w3.org/ns/oa#> .
@prefix prov:    <http://www.w3.org/ns/prov#> .
@prefix rdfs:    <http://www.w3.org/2000/01/rdf-schema#> .
@prefix xsd:     <http://www.w3.org/2001/XMLSchema#> .

# The study. mm:design: a concept of mm:StudyDesignScheme (ontology/concepts.ttl), e.g. mm:Phase2.
# mm:reportedIn: the publications (id:pub-<firstauthor>-<year>, in kb/data/publications/bibliography.ttl).
id:study-{short} a mm:Study ;
    rdfs:label "FILL-IN: the study's name" ;
    mm:design mm:FILL-IN-design ;
    mm:reportedIn id:pub-FILL-IN .

# A cohort: mm:Arm (randomized arm), mm:Subgroup (mm:subgroupOf its parent) or mm:PatientGroup.
# Its size is a claim (below), not a property. Refractoriness that defines it is a drug set.
id:{short}-all a mm:PatientGroup ;
    rdfs:label "FILL-IN: the cohort as the source names it" ;
    mm:ofStudy id:study-{short} ;
    mm:receivedRegimen id:{short}-regimen ;
    mm:definingRefractoriness id:{short}-ds-refractory .

# "Refractory to a PI and an IMiD" is mm:member mm:ProteasomeInhibitor, mm:IMiD (a class: any of its drugs).
id:{short}-ds-refractory a mm:DrugSet ;
    rdfs:label "FILL-IN: refractory to ..." ;
    mm:member mm:FILL-IN-drug-or-class .

# The regimen and one component per drug. A dose the source does not give is mm:NotReported; a
# schedule is a concept of mm:ScheduleScheme, or mm:NotReported.
id:{short}-regimen a mm:Regimen ;
    rdfs:label "FILL-IN: the regimen" ;
    mm:abbreviation "FILL-IN" ;
    mm:component id:{short}-regimen-c1 .

id:{short}-regimen-c1 a mm:RegimenComponent ;
    mm:drug mm:FILL-IN-drug ;
    mm:dose mm:NotReported ;
    mm:doseUnit mm:NotReported ;
    mm:schedule mm:NotReported .

# The cohort's size, as the source prints it, with the quote that prints it.
id:{short}-all-size a mm:Count ;
    mm:about id:{short}-all ;
    mm:measures mm:CohortSize ;
    mm:count mm:NotReported ;
    mm:derivation mm:Reported ;
    mm:source id:pub-FILL-IN ;
    mm:evidence [ a oa:SpecificResource ;
            oa:hasSource id:pub-FILL-IN ;
            oa:hasSelector [ a oa:TextQuoteSelector ; oa:exact "FILL-IN: the verbatim sentence" ] ] ;
    prov:wasGeneratedBy id:curation-{short} .

# A response figure: numerator, denominator and percent as printed; a figure not printed is
# mm:NotReported (never computed here: the loader reconstructs counts). "~90%" gets mm:hedged true.
id:{short}-all-orr a mm:Proportion ;
    mm:about id:{short}-all ;
    mm:measures mm:Response ;
    mm:responseThreshold mm:PR ;
    mm:numerator mm:NotReported ;
    mm:denominator mm:NotReported ;
    mm:percent mm:NotReported ;
    mm:derivation mm:Reported ;
    mm:source id:pub-FILL-IN ;
    mm:evidence [ a oa:SpecificResource ;
            oa:hasSource id:pub-FILL-IN ;
            oa:hasSelector [ a oa:TextQuoteSelector ; oa:exact "FILL-IN: the verbatim sentence" ] ] ;
    prov:wasGeneratedBy id:curation-{short} .

# Who curated this file, and when: a curator of kb/data/agents.ttl (id:curator-mmkb), or add yourself there.
id:curation-{short} a mm:CurationActivity ;
    rdfs:label "Curation of kb/data/studies/{short}.ttl" ;
    prov:wasAssociatedWith id:curator-FILL-IN ;
    prov:endedAtTime "{now}"^^xsd:dateTime .
"""


def study_id(text: str) -> str:
    """The study's short name (the file name), from `pollux` or `study-pollux`; ValueError if unusable."""
    short = text.removeprefix("study-")
    if not _ID.match(short):
        raise ValueError(
            f"{text!r} is not a study id: use lower-case letters, digits and hyphens (e.g. smith-2019)"
        )
    return short


def skeleton(text: str, now: datetime | None = None) -> str:
    stamp = (now or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%SZ")
    return SKELETON.format(short=study_id(text), now=stamp)
