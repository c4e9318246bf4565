"""Fingerprints of candidate values: different values never share one because of NaN, the
infinities or magnitudes past int64 (issue 23, item 5), and an invalid candidate never hides a
valid one that prints the same."""
import numpy as np

from rasplab.synth.bottomup.bank import Bank
from rasplab.synth.bottomup.values import NUM, Space


def _space() -> Space:
    return Space([[1, 2]], [[1, 2]])


def test_non_finite_and_huge_values_print_apart():
    sp = _space()
    firsts = [0.0, np.nan, np.inf, -np.inf, 1e13, 2e13, -1e13, 1e300, -1e300, 2.3e12, 2.31e12,
              -2.31e12, 3.5]
    vals = np.array([[[v, 1.0]] for v in firsts])
    prints = sp.sop_prints(vals).tolist()
    assert len(set(prints)) == len(firsts)


def test_equal_values_print_alike():
    sp = _space()
    vals = np.array([[[np.nan, 1.0]], [[-np.nan, 1.0]], [[0.0, 1.0]], [[-0.0, 1.0]],
                     [[1e-7, 1.0]], [[5e15, 1.0]], [[5e15, 1.0]]])
    p = sp.sop_prints(vals).tolist()
    assert p[0] == p[1] and p[2] == p[3] == p[4] and p[5] == p[6]
    assert len({p[0], p[2], p[5]}) == 3


def test_invalid_row_does_not_hide_a_valid_twin():
    sp = _space()
    bank = Bank(sp)
    raw = np.array([[[np.nan, 2.0]], [[0.0, 2.0]]])  # the first is invalid (0/0 somewhere)
    values, ok = sp.clean(raw)
    assert not ok[0] and ok[1]
    fresh, refs = bank.add(NUM, 1, values, sp.sop_prints(values), lambda i: ("row", i), ok)
    assert fresh.tolist() == [1] and len(refs) == 1
