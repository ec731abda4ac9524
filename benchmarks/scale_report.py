"""The scale benchmark's report: the targets, each figure as a ratio to the baselines, and Markdown."""

from __future__ import annotations

from typing import Any

from growth import slope

# Counted as growing linearly: a log-log slope of peak memory against triples up to this.
LINEAR_SLOPE = 1.15


def figure(run: dict[str, Any], *path: str) -> Any:
    """run[path[0]][path[1]]...; None where any step is missing."""
    found: Any = run
    for key in path:
        if not isinstance(found, dict) or key not in found:
            return None
        found = found[key]
    return found


def ratios(run: dict[str, Any]) -> dict[str, float | str]:
    """Each timing of the question as a ratio to the raw engine query (figure / raw) and rdflib's time as
    a multiple of it (rdflib / figure); '>X' where rdflib did not finish (a lower bound)."""
    raw = figure(run, "library", "raw_aggregate", "p50_ms")
    rdflib = figure(run, "rdflib", "p50_ms")
    bound = figure(run, "rdflib", "lower_bound_ms")
    out: dict[str, float | str] = {}
    for name, value in timings(run).items():
        if value is None:
            continue
        if raw:
            out[f"{name} / raw engine"] = round(value / raw, 2)
        if rdflib:
            out[f"rdflib / {name}"] = round(rdflib / value, 1)
        elif bound:
            out[f"rdflib / {name}"] = f">{bound / value:.1f}"
    return out


def timings(run: dict[str, Any]) -> dict[str, float | None]:
    """The p50 milliseconds of the same question, by the way it was asked."""
    return {
        "comparison (library)": figure(run, "library", "comparison", "p50_ms"),
        "comparison (HTTP, cached)": figure(run, "serve_store", "comparison", "p50_ms"),
        "comparison (HTTP, response cache off)": figure(run, "serve_uncached", "comparison", "p50_ms"),
    }


Target = tuple[str, str, str]  # what, measured, verdict


def _why_not(run: dict[str, Any], step: str) -> str:
    """Why a size has no figure for `step`: not in this run, not run, or the step's failure."""
    if not run:
        return "n/a: size not in this run"
    if "skipped" in run:
        return f"n/a: {run['skipped']}"
    for name in ("synth", "build", step):
        reason = _failure(run, name)
        if reason:
            return f"n/a: {name} {reason}"
    return "n/a"


def _verdict(ok: bool | None) -> str:
    return "not measured" if ok is None else ("met" if ok else "**missed**")


def targets(runs: list[dict[str, Any]]) -> list[Target]:
    """Each target of the scale work beside what this run measured, and whether it was met."""
    by_studies = {run["studies"]: run for run in runs}
    synthetic = [run for run in runs if isinstance(run["studies"], int)]
    out: list[Target] = []

    at_10k = by_studies.get(10_000, {})
    ratio = ratios(at_10k).get("comparison (library) / raw engine")
    out.append(
        (
            "comparison (library) within 1.5x of the raw engine query at 10,000 studies",
            _why_not(at_10k, "library") if ratio is None else f"{ratio}x",
            _verdict(None if ratio is None else float(ratio) <= 1.5),
        )
    )

    cells, verdicts = [], []
    for run in [r for r in synthetic if r["studies"] >= 100]:
        found = ratios(run).get("rdflib / comparison (library)")
        if found is None:
            continue
        cells.append(f"{run['studies']:,}: {found}x")
        value, bound = float(str(found).lstrip(">")), str(found).startswith(">")
        # a lower bound under 20x decides nothing
        verdicts.append("met" if value >= 20 else ("undecided" if bound else "missed"))
    if not verdicts:
        speed = _verdict(None)
    elif "missed" in verdicts:
        speed = _verdict(False)
    elif "undecided" in verdicts:
        speed = "undecided: rdflib stopped at its budget below 20x"
    else:
        speed = _verdict(True)
    out.append(
        (
            "comparison at least 20x faster than rdflib's in-memory graph from 100 studies on",
            "; ".join(cells) or "n/a",
            speed,
        )
    )

    shipped = by_studies.get("shipped", {})
    cached = figure(shipped, "serve_store", "comparison", "p50_ms")
    uncached = figure(shipped, "serve_uncached", "comparison", "p50_ms")
    shown = f"{cached} ms (response cache off: {uncached} ms)"
    shown = _why_not(shipped, "serve_store") if cached is None else shown
    out.append(
        (
            "HTTP comparison p50 under 5 ms on the shipped knowledge base",
            shown,
            _verdict(None if cached is None else cached < 5),
        )
    )

    at_100k = by_studies.get(100_000, {})
    cold = figure(at_100k, "serve_store", "first_comparison_s")
    health = figure(at_100k, "serve_store", "health_s")
    started = f"/health {health} s; comparison {cold} s"
    out.append(
        (
            "cold start from a built store under 1.5 s at 100,000 studies (first answered request)",
            _why_not(at_100k, "serve_store") if health is None else started,
            _verdict(None if health is None else health < 1.5),
        )
    )

    rates = [(run["studies"], figure(run, "build", "triples_per_second")) for run in synthetic]
    measured = [(studies, rate) for studies, rate in rates if rate]
    out.append(
        (
            "build at least 200,000 triples/s (synthetic sizes)",
            "; ".join(f"{studies:,}: {rate:,.0f}/s" for studies, rate in measured) or "n/a",
            _verdict(None if not measured else all(rate >= 200_000 for _, rate in measured)),
        )
    )

    points = [
        (float(run["triples"]), float(figure(run, "build", "peak_rss_mib")))
        for run in synthetic
        if run.get("triples") and figure(run, "build", "peak_rss_mib") and "failed" not in run["build"]
    ]
    found_slope = slope(points)
    out.append(
        (
            f"build memory growing linearly with the data (log-log slope of peak RSS at most {LINEAR_SLOPE})",
            "n/a" if found_slope is None else f"slope {found_slope:.2f} over {len(points)} sizes",
            _verdict(None if found_slope is None else found_slope <= LINEAR_SLOPE),
        )
    )
    return out


def _cell(value: Any, fmt: str = "{}") -> str:
    return "" if value is None else fmt.format(value)


def _failure(run: dict[str, Any], phase: str) -> str | None:
    found = run.get(phase)
    if isinstance(found, dict) and (found.get("failed") or found.get("skipped")):
        return f"({found.get('failed') or found.get('skipped')})"
    return None


# A stopped step's own time and memory are those until it was stopped: no figure of the step.
UNTIL_STOPPED = ("seconds", "peak_rss_mib")
# Title, where the figure is in a run (the first key names its step), format.
COLUMNS: tuple[tuple[str, tuple[str, ...], str], ...] = (
    ("triples", ("triples",), "{:,}"),
    ("build s", ("build", "seconds"), "{:.1f}"),
    ("build triples/s", ("build", "triples_per_second"), "{:,.0f}"),
    ("build peak MiB", ("build", "peak_rss_mib"), "{:,.0f}"),
    ("engine bulk load triples/s", ("engine", "triples_per_second"), "{:,.0f}"),
    ("rdflib parse s", ("rdflib", "load_s"), "{:.1f}"),
    ("open built store s", ("library", "open_s"), "{:.2f}"),
    ("comparison p50 ms (library, computed)", ("library", "comparison", "p50_ms"), "{}"),
    ("comparison p95 ms (library, computed)", ("library", "comparison", "p95_ms"), "{}"),
    ("comparison p50 ms (library, kept by the build)", ("library", "comparison_kept", "p50_ms"), "{}"),
    ("raw engine query p50 ms", ("library", "raw_aggregate", "p50_ms"), "{}"),
    ("rdflib query p50 ms", ("rdflib", "shown_ms"), "{}"),
    ("comparison / raw engine", ("ratios", "comparison (library) / raw engine"), "{}x"),
    ("rdflib / comparison", ("ratios", "rdflib / comparison (library)"), "{}x"),
    ("rows read as is found in raw", ("library", "agreement"), "{}"),
    ("HTTP comparison answer bytes", ("serve_store", "comparison_bytes"), "{:,}"),
    ("HTTP comparison p50 ms, cache on", ("serve_store", "comparison", "p50_ms"), "{}"),
    ("HTTP comparison p95 ms, cache on", ("serve_store", "comparison", "p95_ms"), "{}"),
    ("HTTP comparison p50 ms, response cache off", ("serve_uncached", "comparison", "p50_ms"), "{}"),
    ("HTTP comparison p95 ms, response cache off", ("serve_uncached", "comparison", "p95_ms"), "{}"),
    ("first SPARQL answer s", ("serve_store", "first_sparql_s"), "{}"),
    ("SPARQL answers/s", ("serve_store", "sparql", "answered_per_second"), "{}"),
    ("SPARQL p50 ms", ("serve_store", "sparql", "p50_ms"), "{}"),
    ("service peak MiB", ("serve_store", "peak_rss_mib"), "{:,.0f}"),
    ("cold start, store: /health s", ("serve_store", "health_s"), "{}"),
    ("cold start, store: comparison s", ("serve_store", "first_comparison_s"), "{}"),
    ("cold start, files: /health s", ("serve_files", "health_s"), "{}"),
    ("cold start, files: comparison s", ("serve_files", "first_comparison_s"), "{}"),
)


def summary_table(runs: list[dict[str, Any]]) -> list[str]:
    """One column per size, one row per figure; a phase that did not finish says why."""
    names = [("shipped" if r["studies"] == "shipped" else f"{r['studies']:,} studies") for r in runs]
    lines = ["| figure | " + " | ".join(names) + " |", "| --- |" + " ---: |" * len(runs)]
    for title, path, fmt in COLUMNS:
        cells = []
        for run in runs:
            value = figure({**run, "ratios": ratios(run)}, *path)
            failed = _failure(run, path[0])
            if "skipped" in run:
                cells.append("(not run)")
            elif value is None or (failed and path[-1] in UNTIL_STOPPED):
                cells.append(failed or "")
            else:
                cells.append(_cell(value, fmt))
        lines.append(f"| {title} | " + " | ".join(cells) + " |")
    return lines


def markdown(report: dict[str, Any]) -> str:
    runs = report["runs"]
    machine = report["machine"]
    lines = [
        "# Scale benchmark",
        "",
        f"Command: `{report['command']}`",
        "",
        f"Commit {report['commit']}"
        + (f" with changes to {', '.join(report['uncommitted'])}" if report.get("uncommitted") else "")
        + f"; {machine['cpus']} cores, {machine['memory_gib']} GiB; load average "
        f"{machine['load_average_at_start']} at the start, {machine['load_average_at_end']} at the end. "
        f"Build: {report['build_method']}.",
        "",
        "## Targets",
        "",
        "| target | measured | verdict |",
        "| --- | --- | --- |",
        *(f"| {what} | {measured} | {verdict} |" for what, measured, verdict in report["targets"]),
        "",
        "## Figures",
        "",
        *summary_table(runs),
        "",
        "## The same question, as a ratio to the baselines",
        "",
        "`X / raw engine`: how many times the raw engine query's time; `rdflib / X`: how many times faster "
        "than rdflib's in-memory graph (`>` a lower bound: rdflib was stopped at its budget).",
        "",
    ]
    for run in runs:
        found = ratios(run)
        if found:
            name = "shipped" if run["studies"] == "shipped" else f"{run['studies']:,} studies"
            lines.append(f"- {name}: " + "; ".join(f"{key} {value}x" for key, value in found.items()))
    lines += ["", "## Steps", "", "| size | step | seconds | peak MiB | outcome |"]
    lines.append("| --- | --- | ---: | ---: | --- |")
    for run in runs:
        if "skipped" in run:
            lines.append(f"| {run['studies']} | all | | | {run['skipped']} |")
        for phase, found in run.items():
            if isinstance(found, dict) and ("seconds" in found or "failed" in found or "skipped" in found):
                outcome = found.get("failed") or found.get("skipped") or "done"
                lines.append(
                    f"| {run['studies']} | {phase} | {_cell(found.get('seconds'), '{}')} | "
                    f"{_cell(found.get('peak_rss_mib'), '{:,.0f}')} | {outcome} |"
                )
    if report.get("largest_finished") is not None:
        lines += [
            "",
            f"Largest size whose build, library and service steps finished: {report['largest_finished']}.",
        ]
    lines += ["", *report["notes"]]
    return "\n".join(lines) + "\n"
