"""Count reconstruction from printed percentages, checked by hand against the sources' figures."""

from __future__ import annotations

import pytest

from kb.reasoning.counts import candidates, reconstruct


@pytest.mark.parametrize(
    ("percent", "denominator", "hedged", "expected", "origin"),
    [
        ("31.1", 148, False, (46,), "derived"),  # pooled ORR: 46/148 = 31.08%
        ("29.2", 106, False, (31,), "derived"),  # SIRIUS ORR, printed as 31/106
        ("86.5", 148, False, (128,), "derived"),
        ("60", 103, False, (62,), "derived"),  # phase 1b ORR: 62 responders reported
        ("92.9", 286, False, (), "inconsistent"),  # POLLUX D-Rd ORR: 265/286 = 92.66, 266/286 = 93.01
        ("76.4", 283, False, (), "inconsistent"),
        ("14", 148, False, (20, 21), "ambiguous"),  # 13.51% and 14.19% both print as 14%
        ("90", 19, True, (17, 18), "ambiguous"),  # "~90%": within 5 points
        ("35", 12, True, (4,), "ambiguous"),  # "nearly 35%": one fit, still hedged
    ],
)
def test_reconstruct(percent, denominator, hedged, expected, origin):
    result = reconstruct(percent, denominator, hedged=hedged)
    assert result.candidates == expected
    assert result.origin == origin


def test_half_unit_bounds_accept_either_rounding_of_a_tie():
    # 1/8 = 12.5% prints as 12 or 13 depending on the rounding rule; both must fit.
    assert candidates("13", 8) == (1,)
    assert candidates("12", 8) == (1,)


def test_precision_follows_the_printed_figure():
    assert candidates("33", 12) == (4,)
    assert candidates("33.3", 12) == (4,)
    assert candidates("33.33", 12) == (4,)
    assert candidates("33.4", 12) == ()
