"""Check quote selectors and table locators against the stored text of the document they cite."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from rdflib import Literal

from kb.knowledge_base import KnowledgeBase
from kb.queries import query_text

_SPACE = re.compile(r"\s+")


def normalize(text: str) -> str:
    """Collapse every run of whitespace to one space: extraction line breaks are not part of a quote."""
    return _SPACE.sub(" ", text).strip()


@dataclass(frozen=True)
class Mismatch:
    claim: str
    selector: str
    problem: str

    def __str__(self) -> str:
        return f"{self.claim}: {self.selector}: {self.problem}"


def check_text(text: str, rows: list[dict]) -> tuple[int, list[Mismatch]]:
    """Check selector rows (from quote-selectors.rq) against `text`; return (checked, mismatches)."""
    body = normalize(text)
    mismatches = []
    for row in rows:
        claim = str(row["claim"])
        if str(row["kind"]) == "quote":
            exact = normalize(str(row["exact"]))
            label = f'quote "{exact[:60]}"'
            if exact not in body:
                mismatches.append(Mismatch(claim, label, "the exact text does not occur in the source"))
                continue
            prefix = normalize(str(row["prefix"])) if "prefix" in row else ""
            suffix = normalize(str(row["suffix"])) if "suffix" in row else ""
            if (prefix or suffix) and not _occurs_with_context(body, exact, prefix, suffix):
                mismatches.append(
                    Mismatch(claim, label, "no occurrence has the given prefix/suffix around it")
                )
        else:
            label = f'table "{row["table"]}" row "{row["row"]}"' + (
                f' column "{row["column"]}"' if "column" in row else ""
            )
            for part in ("table", "row", "column"):
                if part in row and normalize(str(row[part])) not in body:
                    mismatches.append(
                        Mismatch(claim, label, f"the {part} label does not occur in the source")
                    )
    return len(rows), mismatches


def _occurs_with_context(body: str, exact: str, prefix: str, suffix: str) -> bool:
    start = body.find(exact)
    while start >= 0:
        before = body[:start].rstrip()
        after = body[start + len(exact) :].lstrip()
        if before.endswith(prefix.strip()) and after.startswith(suffix.strip()):
            return True
        start = body.find(exact, start + 1)
    return False


def check_source(kb: KnowledgeBase, source_file: Path) -> tuple[int, list[Mismatch]]:
    """Check every selector on the documents whose mm:textFile is `source_file`'s name."""
    documents = kb.select(
        "SELECT ?document WHERE { ?document mm:textFile ?name }", {"name": Literal(source_file.name)}
    )
    if not documents:
        return 0, []
    rows = kb.select(query_text("quote-selectors"), {"document": [d["document"] for d in documents]})
    return check_text(source_file.read_text(encoding="utf-8"), rows)
