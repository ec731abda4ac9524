"""The words of a forest plot's rows: the full sentence each row's <title> gives (for screen readers and
tooltips), the cohort labels that tell alike rows apart, and the hazard ratio as its panel prints it."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from kb.analysis.response_table import HazardRatioRow, Pooled, Row
from kb.render.numbers import (
    HAZARD_RATIO_PLACES,
    figure_text,
    interval_text,
    level_text,
    number_text,
    p_value_text,
    percent_range,
    percent_text,
)
from kb.render.typeset import SUPERSCRIPT

METHOD_NAMES = {"clopper-pearson": "Clopper-Pearson", "wilson": "Wilson", "jeffreys": "Jeffreys"}


def rate_cell(row: Row) -> str:
    if row.rate_pct is None:
        return "n/a"
    if row.ci_low_pct is None or row.ci_high_pct is None:
        return row.rate_text
    return f"{row.rate_text} ({percent_range(row.ci_low_pct, row.ci_high_pct)})"


def cohort_name(row: Row) -> str:
    """The cohort as a line names it, with the adverse event where the rows are per event."""
    return f"{row.event}: {row.cohort}" if row.event else row.cohort


def cohort_labels(rows: Sequence[Row]) -> list[str]:
    """Each row's cohort label; where two rows of the table would read the same (study and cohort), each
    is told apart by its regimen and, where those differ too, its data cut."""
    same = Counter((row.study, cohort_name(row)) for row in rows)
    regimens: dict[tuple[str, str], set[str]] = {}
    cuts: dict[tuple[str, str], set[str]] = {}
    for row in rows:
        key = (row.study, cohort_name(row))
        regimens.setdefault(key, set()).add(row.regimen)
        cuts.setdefault(key, set()).add(row.data_cut)
    labels = []
    for row in rows:
        key = (row.study, cohort_name(row))
        label = cohort_name(row)
        if same[key] > 1 and len(regimens[key]) > 1 and row.regimen:
            label += f"; regimen: {row.regimen}"
        if same[key] > 1 and len(cuts[key]) > 1:
            label += f"; data cut {row.data_cut}" if row.data_cut else "; no data cut stated"
        labels.append(label)
    return labels


def row_sentence(row: Row, cohort: str | None = None) -> str:
    """The full sentence for a row: study, cohort (as `cohort` labels it, if given), count, rate with CI,
    flags and sources."""
    # response at a threshold; another proportion (an adverse event, MRD negativity) by what was counted
    if row.threshold:
        answer, counted = f"responded ({row.threshold} or better)", f"responding ({row.threshold} or better)"
    else:
        answer = counted = f"with {row.event}" if row.event else "with the outcome"
    if row.responders is not None and row.n is not None:
        count = f"{row.responders} of {row.n} {answer}"
    elif row.candidates and row.n is not None:
        low, high = min(row.candidates), max(row.candidates)
        span = str(low) if low == high else f"{low}-{high}"
        count = f"{span} of {row.n} {answer}, count not printed"
    elif row.n is not None:
        count = f"number {counted} not stated, of {row.n} patients"
    else:
        count = f"number of patients and number {counted} not stated"
    if row.printed_pct and row.responders is None:
        count += f", printed as {row.printed_pct}%"
    if row.rate_pct is None:
        rate = "no estimate"
    elif row.ci_low_pct is None or row.ci_high_pct is None:
        rate = f"{row.rate_text}% (no CI)"
    else:
        method = METHOD_NAMES.get(row.ci_method, row.ci_method)
        ci = percent_range(row.ci_low_pct, row.ci_high_pct)
        rate = f"{row.rate_text}% (95% CI {ci}, {method})"
    parts = [f"{row.study}: {cohort or cohort_name(row)}: {count}, {rate}"]
    if row.caveats:
        parts.append("flags: " + ", ".join(row.caveats))
    if row.other_values:
        parts.append("other values: " + ", ".join(row.other_values))
    if row.sources:
        word = "source" if len(row.sources) == 1 else "sources"
        parts.append(f"{word}: " + "; ".join(s.label for s in row.sources))
    return "; ".join(parts)


def pooled_sentence(pooled: Pooled, stratum: str) -> str:
    text = (
        f"{stratum}: pooled (exploratory) over {pooled.k} studies, {percent_text(pooled.rate_pct)}% "
        f"(95% CI {percent_range(pooled.ci_low_pct, pooled.ci_high_pct)}, {pooled.method})"
    )
    if pooled.pi_low_pct is not None and pooled.pi_high_pct is not None:
        text += f"; 95% prediction interval {percent_range(pooled.pi_low_pct, pooled.pi_high_pct)}"
    return text + f"; tau² {number_text(pooled.tau2, 3)}, I² {number_text(pooled.i2_pct, 0)}%"


def hr_sentence(row: HazardRatioRow) -> str:
    """The full sentence for a hazard ratio: estimate, interval with its level, comparator, p, source."""
    hr = row.value
    text = f"{row.label}: hazard ratio {figure_text(hr.estimate, hr.status, HAZARD_RATIO_PLACES)}"
    if hr.interval is not None:
        text += f" ({level_text(hr.interval)} {interval_text(hr.interval, HAZARD_RATIO_PLACES)})"
    parts = [f"{text} vs {hr.comparator}", p_value_text(hr)]
    parts.append(f"source: {hr.source}" if hr.source else "")
    return "; ".join(p for p in parts if p)


def hr_value_text(row: HazardRatioRow) -> str:
    """The hazard ratio with its interval as the panel prints it: "0.37 (0.27-0.52)", "NE (0.50-1.20)"."""
    hr = row.value
    text = figure_text(hr.estimate, hr.status, HAZARD_RATIO_PLACES)
    return text if hr.interval is None else f"{text} ({interval_text(hr.interval, HAZARD_RATIO_PLACES)})"


def caveat_marks(row: Row, marks: dict[str, int]) -> str:
    """The row's caveats as the footnote numbers the footer explains, in superscript (" ¹,³")."""
    numbers = sorted(marks[c] for c in row.caveats if c in marks)
    return " " + ",".join(str(n) for n in numbers).translate(SUPERSCRIPT) if numbers else ""


def numbered(footnotes: list[str]) -> list[str]:
    """The standing footnote, then each caveat's with the number the rows mark it by."""
    standing, *caveats = footnotes
    return [standing, *(f"{str(n).translate(SUPERSCRIPT)} {note}" for n, note in enumerate(caveats, start=1))]
