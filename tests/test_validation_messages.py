"""Validation messages say what to fix: each case is the shipped SIRIUS study with one defect, validated
with the files it refers to, and the test pins the whole line `mmkb validate` prints for it."""

from __future__ import annotations

from pathlib import Path

import pytest

from kb.paths import DATA_DIR, PUBLICATIONS_DIR, STUDIES_DIR, display_path
from kb.quality.validate import Violation, validate

GUIDE = Path(__file__).resolve().parents[1] / "docs" / "curation.md"
STUDY = STUDIES_DIR / "sirius.ttl"
REFERRED = [DATA_DIR / "agents.ttl", PUBLICATIONS_DIR / "bibliography.ttl"]
MM = "https://w3id.org/mmkb/vocab#"
ID = "https://w3id.org/mmkb/id/"
DECLARING = "(see docs/curation.md, Declaring a new term)."
DRUG = (
    "A new drug is declared in ontology/concepts.ttl as `mm:NAME a mm:Drug ; skos:inScheme mm:DrugScheme ; "
    'skos:broader mm:... ; skos:prefLabel "..."@en ; skos:definition "..."@en .`'
)
DRUG_CLASS = (
    'a new drug class as `mm:NAME a mm:DrugClass ; skos:inScheme mm:DrugScheme ; skos:prefLabel "..."@en ; '
    'skos:definition "..."@en .`'
)
CATEGORY = (
    "A new response category is declared in ontology/concepts.ttl as `mm:NAME a mm:ResponseCategory ; "
    'skos:inScheme mm:ResponseScale ; mm:responseRank N ; skos:notation "..." ; skos:prefLabel "..."@en ; '
    'skos:definition "..."@en .`'
)
DESIGN = (
    "A new study design is declared in ontology/concepts.ttl as `mm:NAME a mm:StudyDesign ; "
    'skos:inScheme mm:StudyDesignScheme ; mm:evidenceRank N ; skos:prefLabel "..."@en ; '
    'skos:definition "..."@en .`'
)

# name: (text of the shipped study, what replaces its first occurrence, record, rule, message)
CASES = {
    "unknown-drug": (
        "mm:drug mm:daratumumab ;",
        "mm:drug mm:daratumomab ;",
        "sirius-dara16-mono-daratumumab",
        "RegimenComponentShape",
        f"`mm:daratumomab` is not a declared drug; did you mean `mm:daratumumab`? {DRUG} {DECLARING}",
    ),
    "unknown-drug-class": (
        "        mm:ProteasomeInhibitor ;\n",
        "        mm:ProteasomeInhibitors ;\n",
        "sirius-ds-pi-imid",
        "DrugSetShape",
        "`mm:ProteasomeInhibitors` is not a declared drug or drug class; did you mean "
        f"`mm:ProteasomeInhibitor`? {DRUG}; {DRUG_CLASS} {DECLARING}",
    ),
    "unknown-response-threshold": (
        "mm:responseThreshold mm:PR ;",
        "mm:responseThreshold mm:Pr ;",
        "sirius-orr-lonial2016",
        "undeclared-term",
        "`mm:Pr` is not a declared response category; did you mean `mm:PR` or `mm:VGPR`? "
        f"{CATEGORY} {DECLARING}",
    ),
    "unknown-response-category": (
        "mm:responseCategory mm:VGPR ;",
        "mm:responseCategory mm:VGRP ;",
        "sirius-vgpr-lonial2016",
        "undeclared-term",
        f"`mm:VGRP` is not a declared response category; did you mean `mm:VGPR`? {CATEGORY} {DECLARING}",
    ),
    "unknown-design": (
        "mm:design mm:Phase2 ;",
        "mm:design mm:Phase2Trial ;",
        "study-sirius",
        "StudyShape",
        f"`mm:Phase2Trial` is not a declared study design; did you mean `mm:Phase2`? {DESIGN} {DECLARING}",
    ),
    "undefined-publication": (
        "mm:source id:pub-lonial-2016 ;",
        "mm:source id:pub-lonial-2061 ;",
        "sirius-dara16-size-lonial2016",
        "ClaimShape",
        "no publication `id:pub-lonial-2061` in the knowledge base; define it in "
        "kb/data/publications/bibliography.ttl (see docs/curation.md) or cite one that exists: "
        "`id:pub-lonial-2016`, `id:pub-nooka-2016`, `id:pub-usmani-2016`.",
    ),
    "undefined-cohort": (
        "mm:subgroupOf id:sirius-dara16 ;",
        "mm:subgroupOf id:sirius-dara61 ;",
        "sirius-p1s1-16mg",
        "CohortShape",
        "no cohort `id:sirius-dara61` in the knowledge base; define it in its study's file in "
        "kb/data/studies/ (see docs/curation.md) or refer to one that exists: `id:sirius-dara16`, "
        "`id:sirius-p1s1-8mg`, `id:sirius-p1s1-16mg`.",
    ),
    "denominator-string": (
        "mm:denominator 106 ;",
        'mm:denominator "106" ;',
        "sirius-double-refractory-mmhub",
        "ProportionShape",
        '`"106"` is a string; write `mm:denominator 106` (a whole number, no quotes).',
    ),
    "denominator-decimal": (
        "mm:denominator 106 ;",
        "mm:denominator 106.5 ;",
        "sirius-double-refractory-mmhub",
        "ProportionShape",
        "`106.5` is a decimal; mm:denominator needs a whole number of at least 1 or a typed unknown such as "
        "`mm:NotReported`.",
    ),
    "percent-typed-string": (
        "mm:percent 29.2 ;",
        'mm:percent "29.2"^^xsd:string ;',
        "sirius-orr-lonial2016",
        "MeasurementShape",
        '`"29.2"` is a string; write `mm:percent 29.2` (a number, no quotes).',
    ),
    "boolean-string": (
        "mm:percent 29.2 ;",
        'mm:percent 29.2 ;\n    mm:hedged "true" ;',
        "sirius-orr-lonial2016",
        "ProportionShape",
        '`"true"` is a string; write `mm:hedged true` (true or false, no quotes).',
    ),
    "undefined-about": (
        "mm:about id:sirius-dara16 ;",
        "mm:about id:sirius-dara61 ;",
        "sirius-dara16-size-lonial2016",
        "undefined-record",
        "no cohort, patient or study `id:sirius-dara61` in the knowledge base; define it in its study's file "
        "in kb/data/studies/ (see docs/curation.md) or refer to one that exists: `id:sirius-dara16`, "
        "`id:sirius-p1s1-8mg`, `id:sirius-p1s1-16mg`.",
    ),
}


def defective(tmp_path: Path, old: str, new: str) -> Path:
    text = STUDY.read_text(encoding="utf-8")
    assert old in text, f"{display_path(STUDY)} no longer holds {old!r}: pick another record for this case"
    path = tmp_path / STUDY.name
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


@pytest.mark.parametrize("case", sorted(CASES))
def test_the_message_says_what_to_fix(tmp_path: Path, case: str) -> None:
    old, new, record, rule, message = CASES[case]
    study = defective(tmp_path, old, new)
    report = validate([*REFERRED, study])
    assert not report.load_errors, [str(e) for e in report.load_errors]
    assert [str(v) for v in report.violations] == [f"{display_path(study)}: {ID}{record}: {rule}: {message}"]


def test_a_violation_points_at_the_property_and_the_value(tmp_path: Path) -> None:
    cases = ["unknown-drug", "denominator-string", "denominator-decimal", "unknown-response-threshold"]
    found = {}
    for case in cases:
        old, new, *_ = CASES[case]
        (violation,) = validate([*REFERRED, defective(tmp_path, old, new)]).violations
        found[case] = (violation.path, violation.value)
    assert found == {
        "unknown-drug": (f"{MM}drug", "mm:daratumomab"),
        "denominator-string": (f"{MM}denominator", '"106"'),
        "denominator-decimal": (f"{MM}denominator", "106.5"),
        "unknown-response-threshold": (f"{MM}responseThreshold", "mm:Pr"),
    }


def test_a_misspelt_property_is_named_with_the_nearest_declared_one(tmp_path: Path) -> None:
    study = defective(tmp_path, "mm:denominator 106 ;", "mm:denominatr 106 ;")
    lines = [str(v) for v in validate([*REFERRED, study]).violations]
    record = f"{display_path(study)}: {ID}sirius-double-refractory-mmhub"
    assert lines == [
        f"{record}: ProportionShape: A proportion must give its denominator: one positive integer or a typed "
        "unknown.",
        f"{record}: undeclared-term: `mm:denominatr` is not a declared property; "
        f"did you mean `mm:denominator`? A new property is declared in ontology/mmkb.ttl {DECLARING}",
    ]


def test_a_misspelt_type_is_named_as_written_where_the_record_is_referred_to(tmp_path: Path) -> None:
    study = defective(tmp_path, "    a mm:PatientGroup ;", "    a mm:PatientGrup ;")
    lines = [str(v) for v in validate([*REFERRED, study]).violations]
    file = display_path(study)
    assert lines == [
        f"{file}: {ID}sirius-p1s1-16mg: CohortShape: `id:sirius-dara16` is a `mm:PatientGrup`, not a cohort; "
        "refer to one that exists: `id:sirius-p1s1-16mg`, `id:sirius-p1s1-8mg`.",
        f"{file}: {ID}sirius-dara16: undeclared-term: `mm:PatientGrup` is not a declared class; did you mean "
        f"`mm:PatientGroup` or `mm:Patient`? A new class is declared in ontology/mmkb.ttl {DECLARING}",
    ]


def test_a_violation_prints_as_file_record_rule_message() -> None:
    violation = Violation("a.ttl", "id:x", "ClaimShape", "text", path=f"{MM}source", value="id:y")
    assert str(violation) == "a.ttl: id:x: ClaimShape: text"
    assert (Violation("a.ttl", "id:x", "r", "m").path, Violation("a.ttl", "id:x", "r", "m").value) == (
        None,
        None,
    )


def test_the_shipped_knowledge_base_has_no_violation() -> None:
    report = validate()
    assert not report.load_errors, [str(e) for e in report.load_errors]
    assert not report.violations, "\n".join(str(v) for v in report.violations)


def test_the_guide_has_the_section_the_messages_point_at() -> None:
    headings = [line for line in GUIDE.read_text(encoding="utf-8").splitlines() if line.startswith("## ")]
    assert "## Declaring a new term" in headings


def test_every_count_typed_as_a_string_is_reported_not_a_crash(tmp_path: Path) -> None:
    """The conflict rules skip counts that are not numbers; validation names each one instead."""
    import re

    text = re.sub(
        r"mm:(denominator|numerator|count) (\d+) ;", r'mm:\1 "\2" ;', STUDY.read_text(encoding="utf-8")
    )
    study = tmp_path / STUDY.name
    study.write_text(text, encoding="utf-8")
    report = validate([*REFERRED, study])
    assert report.violations
    assert all(" is a string; write `mm:" in v.message for v in report.violations)
