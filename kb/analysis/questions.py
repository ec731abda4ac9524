"""Named competency questions: kb/queries/questions/<name>.rq with a title, description, returns header."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from kb.paths import QUERIES_DIR

QUESTIONS_DIR = QUERIES_DIR / "questions"

_TITLE = "# title:"
_DESCRIPTION = "# description:"
_CONTINUATION = "#   "
_RETURNS = "# returns:"


@dataclass(frozen=True)
class Question:
    """One named question: its header fields and the full SPARQL text (header comments included)."""

    name: str
    title: str
    description: str
    returns: tuple[str, ...]
    text: str


def _field(line: str, prefix: str, path: Path) -> str:
    if not line.startswith(prefix):
        raise ValueError(f"{path}: expected a line starting {prefix!r}, found {line!r}")
    value = line[len(prefix) :].strip()
    if not value:
        raise ValueError(f"{path}: {prefix!r} is empty")
    return value


def parse_question(path: Path) -> Question:
    """Read one .rq file; raise ValueError naming the file when its header is malformed."""
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines()
    if not lines:
        raise ValueError(f"{path}: empty file")
    title = _field(lines[0], _TITLE, path)
    description_parts = [_field(lines[1] if len(lines) > 1 else "", _DESCRIPTION, path)]
    index = 2
    while index < len(lines) and lines[index].startswith(_CONTINUATION):
        description_parts.append(lines[index][len(_CONTINUATION) :].strip())
        index += 1
    returns_line = _field(lines[index] if index < len(lines) else "", _RETURNS, path)
    variables = returns_line.split()
    if not all(v.startswith("?") and len(v) > 1 for v in variables):
        raise ValueError(f"{path}: '# returns:' must list variables like ?name, found {returns_line!r}")
    names = tuple(v[1:] for v in variables)
    if len(set(names)) != len(names):
        raise ValueError(f"{path}: '# returns:' lists a variable twice")
    if not "\n".join(lines[index + 1 :]).strip():
        raise ValueError(f"{path}: no query after the header")
    return Question(
        name=path.stem,
        title=title,
        description=" ".join(part for part in description_parts if part),
        returns=names,
        text=text,
    )


def questions(directory: Path = QUESTIONS_DIR) -> list[Question]:
    """Every named question, sorted by name."""
    return sorted((parse_question(path) for path in directory.glob("*.rq")), key=lambda q: q.name)


def question_names(directory: Path = QUESTIONS_DIR) -> list[str]:
    """The names of the named questions, sorted."""
    return sorted(p.stem for p in directory.glob("*.rq"))


def question(name: str, directory: Path = QUESTIONS_DIR) -> Question:
    """The question called `name`; KeyError listing the valid names otherwise."""
    path = directory / f"{name}.rq"
    if not path.is_file():
        valid = ", ".join(question_names(directory))
        raise KeyError(f"no question named {name!r}; valid names: {valid}")
    return parse_question(path)
