"""The mmkb command line: sub-commands mirror the library. kb.cli.parser declares them with their
options, kb.cli.commands runs them; nothing heavier than the option lists is imported before a command
runs."""

from __future__ import annotations

import sys
from collections.abc import Sequence

from kb.cli.parser import build_parser

__all__ = ["build_parser", "main"]


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; a library error is one line on stderr and exit status 1 or 2, never a traceback."""
    args = build_parser().parse_args(argv)
    from kb.analysis.response_table import OptionError
    from kb.graph.store import LocationError
    from kb.knowledge_base import LoadFailed

    try:
        return int(args.func(args))
    except LoadFailed as exc:
        for error in exc.errors:
            print(f"error: {error}", file=sys.stderr)
        return 1
    except (LocationError, OptionError, KeyError, ValueError, OSError) as exc:
        print(f"mmkb: error: {exc}", file=sys.stderr)
        return 2
