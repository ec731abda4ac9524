"""Every printed figure for one responder count, and the counts they admit together."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from kb.analysis.cohort_reads import Context, Iri, QueryRow, number
from kb.graph.fast_rows import is_number, whole
from kb.namespaces import MM, local_name
from kb.reasoning.counts import candidates

READ_IN_SECONDARY_SOURCE = str(MM.ReadInSecondarySource)
READ_IN_CITING_TEXT = str(MM.ReadInCitingText)


@dataclass(frozen=True)
class Figure:
    """One source's figure for a count: a printed count, a percentage of a denominator, or a category sum.

    `admits` is the set of counts the figure allows (None: it constrains nothing, e.g. a percentage of a
    denominator the source does not give); `exact` is a count printed or summed from printed counts.
    """

    claim: QueryRow | None  # the proportion claim, or None for a category sum
    claims: tuple[Iri, ...]
    cut: int
    rank: int  # source preference: 0 primary, 1 secondary summary, 2 citing text
    n: int | None
    admits: frozenset[int] | None
    exact: bool
    text: str
    source_label: str
    sources: tuple[tuple[str, str, str, str], ...]  # (claim, publication, label, verification)


def source_rank(row: QueryRow) -> int:
    """Preference among claims of one figure: primary publication, then secondary source, then citing text."""
    if row.get("secondary") is True or row.get("verification") == READ_IN_SECONDARY_SOURCE:
        return 1
    if row.get("verification") == READ_IN_CITING_TEXT:
        return 2
    return 0


def cut_of(row: QueryRow) -> int:
    return whole(row.get("cutSequence", 0))


def value_text(row: QueryRow) -> str:
    if is_number(row["numerator"]) and is_number(row["denominator"]):
        return f"{row['numerator']}/{row['denominator']}"
    if is_number(row.get("percent")):
        return ("~" if row.get("hedged") is True else "") + f"{row['percent']}%"
    return ""


def claim_figure(ctx: Context, row: QueryRow) -> Figure:
    n = whole(row["denominator"]) if is_number(row["denominator"]) else None
    admits: frozenset[int] | None = None
    exact = is_number(row["numerator"])
    if exact:
        admits = frozenset({whole(row["numerator"])})
    elif n is not None and is_number(row.get("percent")):
        admits = frozenset(ctx.candidates.get(str(row["claim"]), []))
    text = value_text(row)
    if text.endswith("%") and n is not None:
        text += f" of {n}"
    source = (
        str(row["claim"]),
        str(row["source"]),
        str(row["sourceLabel"]),
        local_name(str(row.get("verification") or "")),
    )
    return Figure(
        row,
        (str(row["claim"]),),
        cut_of(row),
        source_rank(row),
        n,
        admits,
        exact,
        text,
        str(row["sourceLabel"]),
        (source,),
    )


def category_figures(ctx: Context, threshold: Iri) -> dict[tuple[Iri, Iri | None], list[Figure]]:
    """Counts at `threshold` or better summed from printed counts of every category at or above it."""
    t_rank = ctx.ranks[threshold]
    needed = {c for c, r in ctx.ranks.items() if r >= t_rank}
    found: dict[tuple[Iri, Iri | None, int], dict[Iri, list[QueryRow]]]
    found = defaultdict(lambda: defaultdict(list))
    for row in ctx.category_counts:
        category = str(row["category"])
        if category in needed:
            regimen = str(row["toRegimen"]) if "toRegimen" in row else None
            found[(str(row["cohort"]), regimen, cut_of(row))][category].append(row)
    out: dict[tuple[Iri, Iri | None], list[Figure]] = defaultdict(list)
    for (cohort, regimen, cut), by_category in found.items():
        if set(by_category) != needed:
            continue
        if any(len({whole(r["count"]) for r in rows}) > 1 for rows in by_category.values()):
            continue  # the sources disagree on a category: no single sum
        chosen = {
            c: min(rows, key=lambda r: (source_rank(r), str(r["claim"]))) for c, rows in by_category.items()
        }
        ordered = sorted(chosen.items(), key=lambda item: ctx.ranks[item[0]])
        total = sum(whole(r["count"]) for r in chosen.values())
        sizes = ctx.sizes.get((cohort, cut), set())
        labels = sorted({str(r["sourceLabel"]) for r in chosen.values()})
        text = " + ".join(f"{r['count']} {local_name(c)}" for c, r in ordered) + f" = {total}"
        out[(cohort, regimen)].append(
            Figure(
                None,
                tuple(str(r["claim"]) for _, r in ordered),
                cut,
                max(source_rank(r) for r in chosen.values()),
                next(iter(sizes)) if len(sizes) == 1 else None,
                frozenset({total}),
                True,
                text,
                "; ".join(labels),
                tuple(
                    (
                        str(r["claim"]),
                        str(r["source"]),
                        str(r["sourceLabel"]),
                        local_name(str(r.get("verification") or "")),
                    )
                    for _, r in ordered
                ),
            )
        )
    return out


@dataclass(frozen=True)
class Combined:
    """What the figures of one data cut give together."""

    n: int | None
    responders: int | None
    origin: str
    candidates: tuple[int, ...]
    derivation: str
    agreeing: tuple[Figure, ...]
    disagreeing: tuple[Figure, ...]


def choose(figures: list[Figure]) -> Figure:
    """The preferred figure: best source, then printed or summed counts over rounded percentages, then the
    latest data cut."""
    return min(figures, key=lambda f: (f.rank, not f.exact, -f.cut, f.claims and str(f.claims[0])))


def combine(chosen: Figure, same_cut: list[Figure]) -> Combined:
    """Intersect the counts every figure over the same denominator admits; one left is derived."""
    usable = [f for f in same_cut if f.admits is not None and f.n is not None and f.n == chosen.n]
    if chosen.n is None or chosen.admits is None:
        return Combined(
            chosen.n, None, "unknown", (), "", (chosen,), tuple(f for f in same_cut if f is not chosen)
        )
    common = set(chosen.admits)
    agreeing = [chosen]
    for figure in usable:
        admits = figure.admits or frozenset()
        if figure is not chosen and common & admits:
            common &= admits
            agreeing.append(figure)
    candidates = tuple(sorted(common))
    disagreeing = tuple(
        f for f in same_cut if f not in agreeing and f.text and not _fits(f, candidates, chosen.n)
    )
    if chosen.exact and chosen.claim is not None:
        return Combined(chosen.n, candidates[0], "reported", (), "", tuple(agreeing), disagreeing)
    if len(candidates) == 1:
        steps = "; ".join(f"{f.text} ({f.source_label})" for f in agreeing)
        derivation = f"{candidates[0]} of {chosen.n}: the only count that fits {steps}"
        return Combined(
            chosen.n, candidates[0], "derived", candidates, derivation, tuple(agreeing), disagreeing
        )
    if candidates:
        steps = "; ".join(f"{f.text} ({f.source_label})" for f in agreeing)
        derivation = f"{', '.join(map(str, candidates))} of {chosen.n} all fit {steps}"
        return Combined(chosen.n, None, "ambiguous", candidates, derivation, tuple(agreeing), disagreeing)
    return Combined(chosen.n, None, "inconsistent", (), "", tuple(agreeing), disagreeing)


def _fits(figure: Figure, counts: tuple[int, ...], n: int) -> bool:
    """Whether a figure without a denominator of its own reads as one of `counts` over the row's n."""
    if figure.admits is not None or figure.claim is None or number(figure.claim.get("percent")) is None:
        return False
    hedged = figure.claim.get("hedged") is True
    return bool(set(candidates(str(figure.claim["percent"]), n, hedged=hedged)) & set(counts))


def fits_size(ctx: Context, row: QueryRow, cohort: Iri) -> bool | None:
    """Whether a percentage over an unstated denominator fits the cohort's stated size at the same data cut
    (None when there is no single size or no percentage)."""
    sizes = ctx.sizes.get((cohort, cut_of(row)), set())
    percent = row.get("percent")
    if len(sizes) != 1 or number(percent) is None:
        return None
    return bool(candidates(str(percent), next(iter(sizes)), hedged=row.get("hedged") is True))
