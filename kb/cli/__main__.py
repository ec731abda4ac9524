"""`python -m kb.cli`: the mmkb command."""

from __future__ import annotations

import sys

from kb.cli import main

sys.exit(main())
