"""One synthetic study: its design drawn with the study's own random generator, then its records."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from random import Random

from kb.synth import series, trials
from kb.synth.rdf_text import Record
from kb.synth.records import Study

# Designs and how often each occurs, roughly as in a review of relapsed-myeloma evidence.
DESIGNS: tuple[tuple[Callable[[Study], None], int], ...] = (
    (trials.randomized, 15),
    (partial(trials.single_arm, design="Phase2"), 20),
    (partial(trials.single_arm, design="Phase1bSingleArm"), 15),
    (series.retrospective, 20),
    (partial(series.case_series, design="CaseSeries"), 22),
    (partial(series.case_series, design="CaseReport"), 8),
)
_BUILDERS = [builder for builder, _ in DESIGNS]
_WEIGHTS = [weight for _, weight in DESIGNS]


def build(number: int, seed: int) -> list[Record]:
    """The records of study `number` (1-based). Each study draws from a generator seeded with the seed
    and its number, so a study is the same whatever the number of studies written with it."""
    study = Study(number, seed, Random(f"mmkb-synth:{seed}:{number}"))
    study.rng.choices(_BUILDERS, _WEIGHTS)[0](study)
    return study.records
