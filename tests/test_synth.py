"""mmkb synth: synthetic knowledge bases that validate, repeat byte for byte, feed the comparison, and
whose numbers never contradict each other."""

from __future__ import annotations

import json
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import Graph
from rdflib.compare import isomorphic

from kb.cli import main
from kb.namespaces import ID_IRI, MM_IRI
from kb.paths import curated_files
from kb.quality.validate import validate
from kb.reasoning.counts import candidates
from kb.synth.writer import MAX_STUDIES, write

PREFIXES = (
    f"PREFIX mm: <{MM_IRI}>\nPREFIX id: <{ID_IRI}>\nPREFIX dcterms: <http://purl.org/dc/terms/>\n"
    "PREFIX bibo: <http://purl.org/ontology/bibo/>\n"
)


def _store(path: Path) -> ox.Store:
    store = ox.Store()
    store.bulk_load(path=str(path), format=ox.RdfFormat.from_extension(path.suffix[1:]))
    return store


def _rows(store: ox.Store, query: str) -> list[tuple]:
    return [tuple(row) for row in store.query(PREFIXES + query)]  # type: ignore[union-attr]


def _number(term: ox.Literal) -> Decimal:
    return Decimal(term.value)


@pytest.fixture(scope="module")
def large_file(tmp_path_factory) -> Path:
    """Four hundred studies, enough to draw every design and option many times."""
    path = tmp_path_factory.mktemp("synth") / "large.nt"
    write(path, 400, seed=3)
    return path


@pytest.fixture(scope="module")
def large(large_file) -> ox.Store:
    return _store(large_file)


@pytest.fixture(scope="module")
def records(large_file) -> dict[str, dict[str, list]]:
    """Every subject's values by predicate local name, as printed (lexical forms kept)."""
    out: dict[str, dict[str, list]] = defaultdict(lambda: defaultdict(list))
    for t in ox.parse(path=str(large_file), format=ox.RdfFormat.N_TRIPLES):
        predicate = t.predicate.value.rsplit("#", 1)[-1].rsplit("/", 1)[-1]
        out[str(t.subject)][predicate].append(t.object)
    return {subject: dict(values) for subject, values in out.items()}


@pytest.mark.parametrize(("studies", "seed", "suffix"), [(3, 0, ".ttl"), (12, 1, ".nt"), (12, 2, ".ttl")])
def test_synthetic_kb_passes_validation_without_conflicts(tmp_path, studies, seed, suffix):
    path = tmp_path / f"kb{suffix}"
    written = write(path, studies, seed=seed)
    report = validate([path])
    assert report.valid, "\n".join(report.lines())
    assert report.conflicts == []
    assert written.studies == studies and written.bytes == path.stat().st_size
    typed = _rows(_store(path), "SELECT ?s WHERE { ?s a mm:Study }")
    assert len(typed) == studies
    assert all(s.value.startswith(ID_IRI + "study-synth-") for (s,) in typed)


def test_same_seed_same_bytes_other_seed_other_bytes(tmp_path):
    for suffix in (".ttl", ".nt"):
        first, again, other = (tmp_path / f"{name}{suffix}" for name in ("first", "again", "other"))
        write(first, 12, seed=5)
        write(again, 12, seed=5)
        write(other, 12, seed=6)
        assert first.read_bytes() == again.read_bytes()
        assert first.read_bytes() != other.read_bytes()


def test_a_study_does_not_depend_on_how_many_are_written(tmp_path):
    write(tmp_path / "three.ttl", 3, seed=4)
    write(tmp_path / "twelve.ttl", 12, seed=4)
    twelve = (tmp_path / "twelve.ttl").read_bytes()
    assert twelve.startswith((tmp_path / "three.ttl").read_bytes())


def test_turtle_and_ntriples_hold_the_same_graph(tmp_path):
    write(tmp_path / "kb.ttl", 5, seed=8)
    written = write(tmp_path / "kb.nt", 5, seed=8)
    turtle = Graph().parse(tmp_path / "kb.ttl", format="turtle")
    ntriples = Graph().parse(tmp_path / "kb.nt", format="nt")
    assert len(turtle) == len(ntriples) == written.triples
    assert isomorphic(turtle, ntriples)


def test_triples_per_study_stay_moderate(tmp_path):
    written = write(tmp_path / "kb.ttl", 200, seed=0)
    assert 100 <= written.triples / written.studies <= 400


def test_comparison_has_rows_for_the_synthetic_studies(tmp_path, capsys):
    path = tmp_path / "kb.ttl"
    write(path, 12, seed=1)
    assert main(["compare", "response-rate", "--kb", str(path), "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)["rows"]
    assert rows
    assert all(r["study_id"].startswith(ID_IRI + "study-synth-") for r in rows)
    counted = [r for r in rows if r["responders"] is not None]
    assert counted and all(0 <= r["responders"] <= r["n"] for r in counted)


def test_synth_command_writes_the_file_and_says_what_it_wrote(tmp_path, capsys):
    path = tmp_path / "kb.nt"
    assert main(["synth", "--studies", "3", "--seed", "9", "--out", str(path)]) == 0
    err = capsys.readouterr().err
    assert err.startswith("mmkb synth: 3 studies, ") and str(path) in err
    assert path.read_bytes() == write(tmp_path / "again.nt", 3, seed=9).path.read_bytes()
    assert not list(tmp_path.glob(".*.partial"))


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--studies", "0", "--out", "kb.ttl"], f"--studies must be from 1 to {MAX_STUDIES:,}, not 0"),
        (["--studies", "3", "--out", "kb.json"], "write synthetic data to a .ttl or .nt file, not '.json'"),
        (["--studies", "3", "--out", "missing/kb.ttl"], "missing: no such directory"),
    ],
)
def test_bad_arguments_are_one_line_errors(tmp_path, capsys, monkeypatch, args, message):
    monkeypatch.chdir(tmp_path)
    assert main(["synth", *args]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message in err
    assert list(tmp_path.iterdir()) == []


def test_identifiers_are_their_own_and_publications_are_fictional(large):
    shipped: set[str] = set()
    for path in curated_files():
        shipped |= {q.subject.value for q in ox.parse(path=str(path), format=ox.RdfFormat.TURTLE)}
    subjects = {s.value for (s,) in _rows(large, "SELECT DISTINCT ?s WHERE { ?s ?p ?o FILTER(isIRI(?s)) }")}
    assert all(s.startswith((ID_IRI + "synth-", ID_IRI + "study-synth-")) for s in subjects)
    assert not subjects & shipped
    journals = _rows(large, "SELECT DISTINCT ?j WHERE { ?p dcterms:isPartOf/dcterms:title ?j }")
    assert [j.value for (j,) in journals] == ["Synthetic Data"]
    dois = [d.value for (d,) in _rows(large, "SELECT ?d WHERE { ?p bibo:doi ?d }")]
    assert dois and all(d.startswith("10.0000/synth-") for d in dois)
    assert not _rows(large, "SELECT ?x WHERE { { ?p bibo:pmid ?x } UNION { ?s mm:nctId ?x } }")
    urls = [u.value for (u,) in _rows(large, "SELECT ?u WHERE { ?x mm:sourceUrl ?u }")]
    assert urls and all(u.startswith("https://synthetic.invalid/") for u in urls)


def _literal(values: list | None) -> Decimal | None:
    """The one numeric value printed, or None for a typed unknown or nothing."""
    if values and len(values) == 1 and isinstance(values[0], ox.Literal):
        return Decimal(values[0].value)
    return None


def _of_type(records, *local: str) -> dict[str, dict[str, list]]:
    return {
        s: defaultdict(list, r)
        for s, r in records.items()
        if any(str(t).endswith(f"#{name}>") for t in r.get("type", []) for name in local)
    }


def test_no_synthetic_number_contradicts_another(records):
    proportions = _of_type(records, "Proportion")
    assert len(proportions) > 1000
    reconstructed = 0
    for claim, r in proportions.items():
        n, d, p = _literal(r["numerator"]), _literal(r["denominator"]), _literal(r["percent"])
        hedged = bool(r["hedged"]) and r["hedged"][0].value == "true"
        if d is not None:
            assert d >= 1, claim
        if n is not None and d is not None:
            assert 0 <= n <= d, claim
        if p is not None:
            assert 0 <= p <= 100, claim
            decimals = len(r["percent"][0].value.partition(".")[2])
            if n is not None and d is not None and not hedged:
                assert abs(100 * n / d - p) <= Decimal(5) / 10 ** (decimals + 1), claim
            if n is None and d is not None:
                reconstructed += 1
                assert candidates(r["percent"][0].value, int(d), hedged=hedged), claim
    assert reconstructed > 100
    intervals = 0
    for claim, r in ((s, defaultdict(list, r)) for s, r in records.items()):
        low, high = _literal(r["ciLow"]), _literal(r["ciHigh"])
        for value in (_literal(r[k]) for k in ("median", "estimate", "percent", "value")):
            if value is not None and (low is not None or high is not None):
                intervals += 1
                assert (low is None or low <= value) and (high is None or value <= high), claim
        low, mid, high = _literal(r["minimum"]), _literal(r["median"]), _literal(r["maximum"])
        if low is not None and high is not None:
            assert low <= (mid if mid is not None else low) <= high, claim
    assert intervals > 500


def test_cohort_sizes_subgroups_strata_and_patients_agree(records):
    sizes: dict[str, Decimal] = {}
    for claim, r in _of_type(records, "Count").items():
        if str(r["measures"][0]).endswith("#CohortSize>"):
            about = str(r["about"][0])
            assert sizes.setdefault(about, _literal(r["count"])) == _literal(r["count"]), claim
    cohorts = _of_type(records, "Arm", "Subgroup", "PatientGroup")
    assert cohorts and all(c in sizes for c in cohorts)
    for cohort, r in cohorts.items():
        for parent in r["subgroupOf"]:
            assert sizes[cohort] <= sizes[str(parent)], cohort
    for stratification, r in _of_type(records, "Stratification").items():
        total = sum(sizes[str(s)] for s in r["stratum"])
        assert total == sizes[str(r["stratifies"][0])], stratification
    members: dict[str, int] = defaultdict(int)
    for r in _of_type(records, "Patient").values():
        for cohort in r["memberOf"]:
            members[str(cohort)] += 1
    assert members and all(members[c] == sizes[c] for c in members)


def test_response_categories_fit_their_thresholds(records):
    ranks = {name: i for i, name in enumerate(("sCR", "CR", "VGPR", "PR", "MR", "SD", "PD"))}
    by_group: dict[tuple, dict[str, list]] = defaultdict(lambda: {"exact": [], "threshold": []})
    for r in _of_type(records, "Proportion").values():
        if not str(r["measures"][0]).endswith("#Response>") or _literal(r["numerator"]) is None:
            continue
        key = (str(r["about"][0]), str(r["source"][0]), str(r["atDataCut"][:1]))
        if r["responseCategory"]:
            rank = ranks[r["responseCategory"][0].value.rsplit("#", 1)[1]]
            by_group[key]["exact"].append((rank, _literal(r["numerator"]), _literal(r["denominator"])))
        else:
            rank = ranks[r["responseThreshold"][0].value.rsplit("#", 1)[1]]
            by_group[key]["threshold"].append((rank, _literal(r["numerator"])))
    checked = 0
    for key, group in by_group.items():
        for rank, count in group["threshold"]:
            above = [n for r, n, _ in group["exact"] if r <= rank]
            checked += bool(above)
            assert sum(above) <= count, key
        if group["exact"]:
            assert sum(n for _, n, _ in group["exact"]) <= min(d for _, _, d in group["exact"]), key
    assert checked > 50
