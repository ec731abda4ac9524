"""One figure as the `statistic` of a FHIR R5 Evidence: its type, the estimate as printed, the counts, the
interval and p value, each typed unknown as a data-absent reason (never a number).

A proportion's exact (Clopper-Pearson) 95% interval is computed from its count and denominator when the
source gives no interval; the attribute estimate says so, as it says which figures are derived."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kb.analysis.stats import clopper_pearson
from kb.render.fhir_codes import (
    CONFIDENCE_INTERVAL,
    COUNT,
    ESTIMATE_TYPE,
    EXTENSION_BASE,
    HAZARD_RATIO,
    JSON,
    MEDIAN,
    P_VALUE,
    PROPORTION,
    RANGE,
    STATISTIC_TYPE,
    UCUM,
    UCUM_UNITS,
    coding,
    concept,
    missingness,
    mm_coding,
)

# The claim classes a statistic is written for, most specific first (a claim's asserted types decide).
CLASSES = (
    "RecordCount",
    "LandmarkRate",
    "TimeToEventMedian",
    "TimeToEventValue",
    "HazardRatio",
    "RiskReduction",
    "SummaryStatistic",
    "Proportion",
    "Count",
    "Quantity",
)
PERCENT = {"system": UCUM, "code": "%", "unit": "%"}


@dataclass(frozen=True)
class Figure:
    """A claim's values as plain data (kb.records.Claim.values: numbers, or terms by local name), its class,
    and the labels of the terms it uses."""

    kind: str
    values: dict[str, Any]
    labels: dict[str, str]  # a vocabulary term's local name -> its label (units, derivations)
    missing: frozenset[str]  # the typed unknowns' local names (NotReported, NotReached, ...)

    def number(self, name: str) -> float | int | None:
        value = self.values.get(name)
        return value if isinstance(value, (int, float)) and not isinstance(value, bool) else None

    def unknown(self, name: str) -> str | None:
        """The typed unknown in place of `name`'s value, by local name; None for a number or nothing."""
        value = self.values.get(name)
        return value if isinstance(value, str) and value in self.missing else None

    def whole(self, name: str) -> int | None:
        value = self.number(name)
        return value if isinstance(value, int) else None

    def candidates(self) -> list[int]:
        found = self.values.get("numeratorCandidate", [])
        return sorted(found if isinstance(found, list) else [found])


def statistic_type(figure: Figure, *, landmark_text: str = "") -> JSON:
    kind = figure.kind
    if kind in ("Proportion", "RecordCount"):
        return concept(coding(STATISTIC_TYPE, *PROPORTION))
    if kind == "LandmarkRate":
        return concept(coding(STATISTIC_TYPE, *PROPORTION), text=landmark_text)
    if kind == "TimeToEventMedian" or (kind == "SummaryStatistic" and "median" in figure.values):
        return concept(coding(STATISTIC_TYPE, *MEDIAN))
    if kind == "HazardRatio":
        return concept(coding(STATISTIC_TYPE, *HAZARD_RATIO))
    if kind == "Count":
        return concept(coding(STATISTIC_TYPE, *COUNT))
    words = {
        "TimeToEventValue": "a time-to-event figure whose statistic the source does not name",
        "RiskReduction": "relative reduction in the risk of the event against the comparator, 100 x (1 - HR)",
        "SummaryStatistic": "range across the cohort",
        "Quantity": "a value whose statistic the source does not name",
    }
    return concept(mm_coding(kind, figure.labels.get(kind, "")), text=words[kind])


def _quantity(figure: Figure, name: str, unit: JSON | None) -> JSON | None:
    """A value as a FHIR Quantity (with its unit), a typed unknown as a data-absent one, or None."""
    value = figure.number(name)
    unknown = figure.unknown(name)
    if value is None and unknown is None:
        return None
    out: JSON = {"extension": missingness(unknown, figure.labels[unknown])} if unknown else {"value": value}
    return out | (unit or {})


def _unit(figure: Figure) -> JSON | None:
    unit = figure.values.get("unit")
    if not isinstance(unit, str) or not unit:
        return None
    label = figure.labels.get(unit, unit)
    if unit not in UCUM_UNITS:  # a unit declared beyond the shipped vocabulary: named, without a UCUM code
        return {"unit": label}
    return {"system": UCUM, "code": UCUM_UNITS[unit], "unit": label}


def _count(figure: Figure, name: str) -> tuple[str, Any]:
    """A count as an unsignedInt element, or the element's extension for a typed unknown ('_name')."""
    value = figure.whole(name)
    if value is not None:
        return name, value
    unknown = figure.unknown(name)
    if unknown is None:
        return "", None
    return "_" + name, {"extension": missingness(unknown, figure.labels[unknown])}


def _interval(figure: Figure, unit: JSON | None, printed: str) -> JSON | None:
    """The interval the source gives (ciLow, ciHigh), with its level only where the source states one."""
    low, high = _quantity(figure, "ciLow", unit), _quantity(figure, "ciHigh", unit)
    if low is None and high is None:
        return None
    estimate: JSON = {
        "description": f"interval as {printed} prints it",
        "type": concept(coding(ESTIMATE_TYPE, *CONFIDENCE_INTERVAL)),
    }
    level = figure.number("ciLevel")
    if level is not None:
        estimate["level"] = level
    else:
        estimate["note"] = [{"text": "The source does not state the interval's level."}]
    estimate["range"] = {k: v for k, v in (("low", low), ("high", high)) if v is not None}
    return estimate


def _p_value(figure: Figure) -> JSON | None:
    value, below = figure.number("pValue"), figure.number("pValueBelow")
    if value is None and below is None:
        return None
    quantity: JSON = {"value": value} if value is not None else {"comparator": "<", "value": below}
    return {"type": concept(coding(ESTIMATE_TYPE, *P_VALUE)), "quantity": quantity}


def _exact_interval(events: int, n: int, estimate: float | None) -> JSON | None:
    """The Clopper-Pearson 95% interval of events/n in percent, when it holds the printed estimate."""
    low, high = clopper_pearson(events, n, 0.95)
    low_pct, high_pct = round(100 * low, 1), round(100 * high, 1)
    if estimate is not None and not low_pct <= estimate <= high_pct:
        return None
    return {
        "description": f"exact (Clopper-Pearson) 95% interval computed by mmkb from {events} of {n}",
        "type": concept(coding(ESTIMATE_TYPE, *CONFIDENCE_INTERVAL)),
        "level": 0.95,
        "range": {"low": {"value": low_pct} | PERCENT, "high": {"value": high_pct} | PERCENT},
    }


def _proportion(figure: Figure, out: JSON, printed: str) -> None:
    notes: list[str] = []
    events_key, events = _count(figure, "numerator")
    candidates = figure.candidates()
    if figure.whole("numerator") is None and len(candidates) == 1:
        # the only whole count that fits the printed figures: derived, and the statistic says so
        events_key, events = "numerator", candidates[0]
        notes.append(
            f"The count {events} is not printed: it is the only whole number that fits the printed figures "
            "(mmkb count reconstruction)."
        )
    elif candidates:
        fitting = ", ".join(str(c) for c in candidates)
        notes.append(f"The count is not printed; the counts that fit the printed figures are {fitting}.")
    if events_key:
        out[events_key.replace("numerator", "numberOfEvents")] = events
    if events_key == "numerator" and figure.whole("numerator") is None:
        # the count is mmkb's, not the source's: the element says how it was obtained
        origin = str(figure.values.get("countOrigin", "CountDerived"))
        derivation = {
            "url": EXTENSION_BASE + "derivation",
            "valueCoding": mm_coding(origin, figure.labels.get(origin, "")),
        }
        out["_numberOfEvents"] = {"extension": [derivation]}
    size_key, size = _count(figure, "denominator")
    if size_key:
        out["sampleSize"] = {size_key.replace("denominator", "knownDataCount"): size}
        unknown = figure.unknown("denominator")
        if unknown:  # said in words too: the element holds only the reason its value is absent
            out["sampleSize"] = {"description": f"denominator: {figure.labels.get(unknown, unknown)}"} | out[
                "sampleSize"
            ]
    n = figure.whole("denominator")
    x = events if events_key == "numerator" and isinstance(events, int) else None
    if figure.number("percent") is not None or figure.unknown("percent"):
        out["quantity"] = _quantity(figure, "percent", PERCENT)
        if figure.values.get("hedged") is True:
            notes.append("The source hedges this percentage (e.g. '~90%'): it fits several counts.")
    elif x is not None and n:
        out["quantity"] = {"value": round(100 * x / n, 1)} | PERCENT
        notes.append(f"The percentage is not printed: derived by mmkb as 100 x {x} / {n}, to one decimal.")
    estimates = []
    printed_interval = _interval(figure, PERCENT, printed)
    if printed_interval:
        estimates.append(printed_interval)
    elif x is not None and n:
        exact = _exact_interval(x, n, out.get("quantity", {}).get("value"))
        if exact:
            estimates.append(exact)
    p_value = _p_value(figure)
    if p_value:
        estimates.append(p_value)
    if estimates:
        out["attributeEstimate"] = estimates
    if notes:
        out["note"] = [{"text": text} for text in notes]


def statistic(figure: Figure, *, description: str, printed: str, landmark_text: str = "") -> JSON:
    """The statistic of `figure`; `printed` names where its numbers are printed ("Dimopoulos 2016")."""
    out: JSON = {"description": description}
    out["statisticType"] = statistic_type(figure, landmark_text=landmark_text)
    kind, unit = figure.kind, _unit(figure)
    if kind in ("Proportion", "RecordCount"):
        _proportion(figure, out, printed)
        return out
    if kind == "Count":  # the count is the statistic's value (statistic type Count)
        quantity = _quantity(figure, "count", None)
        if quantity is not None:
            out["quantity"] = quantity
        return out
    name = {
        "LandmarkRate": "percent",
        "TimeToEventMedian": "median",
        "HazardRatio": "estimate",
        "RiskReduction": "estimate",
        "SummaryStatistic": "median",
    }.get(kind, "value")
    own_unit = PERCENT if name == "percent" or kind == "RiskReduction" else unit
    quantity = _quantity(figure, name, own_unit)
    if quantity is not None:
        out["quantity"] = quantity
    estimates = [e for e in (_interval(figure, own_unit, printed), _p_value(figure)) if e]
    if kind == "SummaryStatistic":
        spread = _spread(figure, unit)
        if spread:
            estimates.append(spread)
    if estimates:
        out["attributeEstimate"] = estimates
    return out


def _spread(figure: Figure, unit: JSON | None) -> JSON | None:
    """A summary statistic's range (minimum-maximum), or the lower bound every value is at least."""
    low, high = _quantity(figure, "minimum", unit), _quantity(figure, "maximum", unit)
    bound = figure.number("lowerBound")
    if low is None and high is None and bound is None:
        return None
    out: JSON = {"type": concept(coding(ESTIMATE_TYPE, *RANGE))}
    if low is None and bound is not None:
        low = {"value": bound} | (unit or {})
        out["description"] = f"the source states every value is at least {bound:g}"
    out["range"] = {k: v for k, v in (("low", low), ("high", high)) if v is not None}
    return out
