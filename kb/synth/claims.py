"""Measurement claims of a synthetic study, each quoting the words a report would print for it: cohort
sizes, proportions (responses, refractoriness, adverse events), medians, hazard ratios, summaries."""

from __future__ import annotations

from kb.synth.figures import PR_INDEX, Interval, percent, rounded, wilson
from kb.synth.rdf_text import Blank, Dec, Iri, Obj, Pairs
from kb.synth.records import Cohort, Source, Study, number, quote
from kb.synth.vocabulary import (
    CATEGORIES,
    COUNT_REPORTED,
    LINES,
    MONTHS,
    NOT_ESTIMABLE,
    NOT_REACHED,
    NOT_REPORTED,
    mm,
)

CATEGORY_NAMES = ("sCR", "CR", "VGPR", "PR", "MR", "SD", "PD")


def _at(cut: Iri | None) -> str:
    """The data cut's part of a claim's identifier: "-cut2" for data cut 2, nothing for none."""
    return "" if cut is None else f"-cut{cut.rsplit('-', 1)[-1]}"


def _quoted(
    study: Study,
    suffix: str,
    kind: str,
    cohort: Cohort,
    source: Source,
    words: str,
    pairs: Pairs,
    cut: Iri | None,
) -> Iri:
    """A reported claim about the cohort whose evidence quotes the source's words."""
    return study.claim(suffix, kind, cohort.iri, source, quote(source.iri, words, source.url), pairs, cut=cut)


def size(study: Study, cohort: Cohort, source: Source, exact: str, cut: Iri | None = None) -> Iri:
    pairs: Pairs = [("mm:count", cohort.n), ("mm:measures", mm("CohortSize"))]
    return _quoted(study, f"{cohort.key}-size-{source.key}", "Count", cohort, source, exact, pairs, cut)


def proportion(
    study: Study,
    suffix: str,
    about: Iri,
    source: Source,
    evidence: Blank,
    measures: str,
    counts: tuple[int | None, int | None, int | Dec | Iri | None],
    qualifiers: Pairs,
    *,
    ci: tuple[Dec, Dec] | None = None,
    hedged: bool = False,
    cut: Iri | None = None,
) -> Iri:
    """A proportion: (numerator, denominator, printed percentage), None where the source does not
    give it (a typed unknown in its place); the count's origin is recorded when it is printed."""
    numerator, denominator, printed = counts
    pairs: Pairs = []
    if ci is not None:
        pairs += [("mm:ciHigh", ci[1]), ("mm:ciLow", ci[0])]
    if numerator is not None:
        pairs.append(("mm:countOrigin", COUNT_REPORTED))
    pairs.append(("mm:denominator", number(denominator)))
    if hedged:
        pairs.append(("mm:hedged", True))
    pairs += [("mm:measures", mm(measures)), ("mm:numerator", number(numerator))]
    if printed is not None:
        pairs.append(("mm:percent", printed))
    return study.claim(suffix, "Proportion", about, source, evidence, pairs + qualifiers, cut=cut)


def response(
    study: Study,
    cohort: Cohort,
    source: Source,
    *,
    index: int = PR_INDEX,
    category: bool = False,
    count: bool = True,
    denominator: bool = True,
    decimals: int = 1,
    ci: bool = False,
    hedged: bool = False,
    cut: Iri | None = None,
) -> Iri:
    """A response claim for `cohort`: at category `index` or better (or exactly, with `category`), with
    the count printed or only the percentage (`count=False`, the count left to reconstruction), over
    a stated denominator or not, with a Wilson interval, or hedged ("nearly 45%", to the nearest 5)."""
    n = cohort.n
    k = cohort.responses.counts[index] if category else cohort.responses.at_least(index)
    name = CATEGORY_NAMES[index]
    printed: int | Dec = percent(k, n, decimals)
    if hedged:
        printed = 5 * round(rounded(k, n, 0) / 5)
    interval = wilson(k, n) if ci and count else None
    if category:
        words = f"{name} {k} ({printed}%)"
    elif hedged:
        words = f"a response rate of nearly {printed}%"
    elif count:
        what = "ORR" if index == PR_INDEX else f">={name}"
        words = f"{what} {printed}% ({k}/{n}{f'; 95% CI {interval[0]}-{interval[1]}' if interval else ''})"
    else:
        words = f"{'overall response' if index == PR_INDEX else f'{name} or better'} {printed}%"
    qualifier = "mm:responseCategory" if category else "mm:responseThreshold"
    kind = f"{name.lower()}{'' if category else '-or-better'}"
    return proportion(
        study,
        f"{cohort.key}-{kind}-{source.key}{_at(cut)}",
        cohort.iri,
        source,
        quote(source.iri, words, source.url),
        "Response",
        (k if count else None, n if denominator else None, printed),
        [(qualifier, CATEGORIES[index])],
        ci=interval,
        hedged=hedged,
        cut=cut,
    )


def median(
    study: Study,
    cohort: Cohort,
    source: Source,
    endpoint: str,
    value: Interval | Iri,
    words: str,
    cut: Iri | None = None,
) -> Iri:
    """A time-to-event median with its interval, or a typed unknown (not reached, not reported)."""
    pairs: Pairs = []
    if isinstance(value, Interval):
        estimate, low, high = value.values()
        pairs = [("mm:ciHigh", number(high, NOT_ESTIMABLE)), ("mm:ciLow", low)]
        median_value: Obj = estimate
    else:
        median_value = value
    pairs += [("mm:measures", mm(endpoint)), ("mm:median", median_value), ("mm:unit", MONTHS)]
    notation = {"ProgressionFreeSurvival": "pfs", "OverallSurvival": "os"}
    suffix = f"{cohort.key}-{notation[endpoint]}-{source.key}{_at(cut)}"
    return _quoted(study, suffix, "TimeToEventMedian", cohort, source, words, pairs, cut)


def median_words(label: str, value: Interval | Iri) -> str:
    if isinstance(value, Interval):
        return f"median {label} {value.text()} months"
    return f"median {label} {'not reached' if value == NOT_REACHED else 'not reported'}"


def hazard_ratio(
    study: Study, cohort: Cohort, comparator: Cohort, source: Source, hr: Interval, cut: Iri
) -> Iri:
    """A hazard ratio for progression or death against the comparator arm, with its p-value."""
    estimate, low, high = hr.values()
    significant = hr.high is not None and hr.high < 100
    p: Pairs = (
        [("mm:pValueBelow", Dec("0.001"))]
        if significant
        else [("mm:pValue", Dec(f"0.{study.rng.randint(6, 89):02d}"))]
    )
    printed_p = "P < 0.001" if significant else f"P = {p[0][1]}"
    return _quoted(
        study,
        f"{cohort.key}-pfs-hr-{source.key}{_at(cut)}",
        "HazardRatio",
        cohort,
        source,
        f"hazard ratio for progression or death {estimate} (95% CI {low}-{high}; {printed_p})",
        [
            ("mm:ciHigh", number(high)),
            ("mm:ciLevel", Dec("0.95")),
            ("mm:ciLow", low),
            ("mm:comparedTo", comparator.iri),
            ("mm:estimate", estimate),
            ("mm:measures", mm("ProgressionFreeSurvival")),
            *p,
        ],
        cut,
    )


def prior_lines(study: Study, cohort: Cohort, source: Source, at_least: int, cut: Iri | None = None) -> Iri:
    """Prior lines of therapy: median and range, the minimum no lower than the eligibility bound."""
    low = at_least + study.rng.randint(0, 1)
    middle = low + study.rng.randint(1, 3)
    high = middle + study.rng.randint(2, 9)
    return _quoted(
        study,
        f"{cohort.key}-prior-lines-{source.key}",
        "SummaryStatistic",
        cohort,
        source,
        f"median {middle} prior lines (range {low}-{high})",
        [
            ("mm:maximum", high),
            ("mm:measures", mm("PriorLinesOfTherapy")),
            ("mm:median", middle),
            ("mm:minimum", low),
            ("mm:unit", LINES),
        ],
        cut,
    )


def adverse_event(
    study: Study, cohort: Cohort, source: Source, event: tuple[Iri, str, float], cut: Iri | None = None
) -> Iri:
    """Patients with a grade 3 or higher adverse event, as a count of the cohort."""
    concept, name, rate = event
    n = cohort.n
    k = min(n, max(0, round(n * study.rng.uniform(0.6, 1.4) * rate)))
    printed = percent(k, n, 0)
    return proportion(
        study,
        f"{cohort.key}-{name}-grade3plus-{source.key}",
        cohort.iri,
        source,
        quote(source.iri, f"grade 3 or higher {name} {k} ({printed}%)", source.url),
        "AdverseEventGrade3Plus",
        (k, n, printed),
        [("mm:adverseEvent", concept)],
        cut=cut,
    )


def not_reported(study: Study, cohort: Cohort, source: Source, index: int, cut: Iri | None = None) -> Iri:
    """A response the source names without giving it: count and percentage are typed unknowns."""
    name = CATEGORY_NAMES[index]
    words = f"{name} or better: not reported"
    return proportion(
        study,
        f"{cohort.key}-{name.lower()}-or-better-{source.key}{_at(cut)}",
        cohort.iri,
        source,
        quote(source.iri, words, source.url),
        "Response",
        (None, cohort.n, NOT_REPORTED),
        [("mm:responseThreshold", CATEGORIES[index])],
        cut=cut,
    )


def time_value(study: Study, cohort: Cohort, source: Source, months: Dec | int, words: str) -> Iri:
    """A time-to-event figure whose statistic the source does not name ("PFS 7 months")."""
    pairs: Pairs = [("mm:measures", mm("ProgressionFreeSurvival")), ("mm:unit", MONTHS), ("mm:value", months)]
    suffix = f"{cohort.key}-pfs-value-{source.key}"
    return _quoted(study, suffix, "TimeToEventValue", cohort, source, words, pairs, None)


def all_refractory(n: int, label: str) -> str:
    """How a report says that every one of its n patients was refractory to a drug set."""
    return f"All {n} were refractory to {label}" if n > 1 else f"The patient was refractory to {label}"


def refractory_share(
    study: Study, cohort: Cohort, source: Source, drugs: Iri, label: str, refractory: int
) -> Iri:
    """Patients of the cohort refractory to every member of a drug set."""
    n = cohort.n
    printed = percent(refractory, n, 0)
    words = (
        all_refractory(n, label) if refractory == n else f"{refractory} ({printed}%) refractory to {label}"
    )
    return proportion(
        study,
        f"{cohort.key}-refractory-{drugs.rsplit('-ds-', 1)[-1]}-{source.key}",
        cohort.iri,
        source,
        quote(source.iri, words, source.url),
        "RefractoryProportion",
        (refractory, n, printed),
        [("mm:withProperty", drugs)],
    )
