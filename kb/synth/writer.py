"""Writing a synthetic knowledge base: Turtle or N-Triples by the file's suffix, one study at a time,
into a file beside the target that replaces it only when complete."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

from kb.synth.rdf_text import ntriples, turtle, turtle_header
from kb.synth.study import build
from kb.synth.vocabulary import shared_records

FORMATS = (".ttl", ".nt")
MAX_STUDIES = 1_000_000


@dataclass(frozen=True)
class Written:
    path: Path
    studies: int
    triples: int
    bytes: int
    seconds: float


def write(path: Path, studies: int, seed: int = 0) -> Written:
    """Write `studies` synthetic studies drawn with `seed` to `path` (.ttl or .nt). The same arguments
    give the same bytes. ValueError for an unknown suffix or a number of studies out of range."""
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        raise ValueError(
            f"{path}: write synthetic data to a {' or '.join(FORMATS)} file, not {suffix or 'no suffix'!r}"
        )
    if not 1 <= studies <= MAX_STUDIES:
        raise ValueError(f"--studies must be from 1 to {MAX_STUDIES:,}, not {studies}")
    if not path.parent.is_dir():
        raise FileNotFoundError(f"{path.parent}: no such directory")
    started = time.perf_counter()
    partial = path.with_name(f".{path.name}.partial")
    triples = 0
    try:
        with partial.open("w", encoding="utf-8", newline="\n") as out:
            chunk: list[str] = []
            if suffix == ".ttl":
                chunk.append(turtle_header())
                triples += turtle(shared_records(), chunk)
            else:
                triples += ntriples(shared_records(), "shared", chunk)
            for number in range(1, studies + 1):
                records = build(number, seed)
                if suffix == ".ttl":
                    triples += turtle(records, chunk)
                else:
                    triples += ntriples(records, f"s{number}", chunk)
                if len(chunk) > 20_000:
                    out.write("".join(chunk))
                    chunk.clear()
            out.write("".join(chunk))
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)
    return Written(path, studies, triples, path.stat().st_size, time.perf_counter() - started)
