"""What the writers of every table share: rows of typed records as delimited text, dataclass values
(sources, medians, hazard ratios, intervals) as JSON objects, and where each source is followed."""

from __future__ import annotations

import csv
import dataclasses
import io
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from kb.analysis.response_table import Source
from kb.records import Publication

# The publications a table's sources cite, by IRI, with their DOIs and PMIDs (KnowledgeBase.publications).
Links = Mapping[str, Publication]
NO_LINKS: Links = {}


def source_url(source: Source, links: Links) -> str:
    """Where a source's publication is followed: its DOI at doi.org, else its PMID at PubMed, else its own
    IRI (which the service dereferences at /id/NAME)."""
    publication = links.get(source.publication)
    if publication is not None and (publication.doi_url or publication.pubmed_url):
        return publication.doi_url or publication.pubmed_url
    return source.publication


def cited(sources: Iterable[Source]) -> list[str]:
    """The IRIs of the publications `sources` cite, each once, in order."""
    return list(dict.fromkeys(s.publication for s in sources))


def delimited(
    columns: Sequence[str], records: Iterable[dict[str, Any]], flat: Callable[[str, Any], Any], delimiter: str
) -> str:
    """A header of `columns`, then each record's values in them as `flat` writes them."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\n")
    writer.writerow(columns)
    for record in records:
        writer.writerow([flat(c, record[c]) for c in columns])
    return out.getvalue()


def json_default(value: object) -> dict[str, Any]:
    """A source, median, hazard ratio, landmark rate or interval as a JSON object (numbers as numbers)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    raise TypeError(f"not JSON serializable: {type(value).__name__}")
