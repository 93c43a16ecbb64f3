"""The compiled candidate phase agrees with the array rules and the 4D tests it replaces."""

from __future__ import annotations

import itertools

import numpy as np

from deconfliction.core.candidates import (
    CANDIDATE_FLOATS,
    CANDIDATE_INTS,
    RULE_KIND_OPERATION,
    RULE_KIND_ZONE,
    candidates,
)
from deconfliction.core.rules import PartyBits, rule_for, rule_mask

NAMES = ["coalition", "mat", "russia", "syria", "ocha"]


def _reference(
    found: np.ndarray, cols: dict[str, np.ndarray], q: tuple[float, float, float, float, float],
    allowed: np.ndarray,
) -> tuple[list[int], list[float]]:
    """np.unique, then the numpy 4D test and the rule mask, as the engine did before."""
    t0, t1, lo, hi, qbuf = q
    rows = np.unique(found)
    keep = (
        cols["alive"][rows] & (cols["t0"][rows] < t1) & (t0 < cols["t1"][rows])
        & (cols["lo"][rows] <= hi) & (lo <= cols["hi"][rows]) & allowed[rows]
    )
    rows = rows[keep]
    return rows.tolist(), np.maximum(cols["buf"][rows], qbuf).tolist()


def test_candidates_agree_with_numpy_and_the_rule_mask() -> None:
    rng = np.random.default_rng(7)
    subsets = [frozenset(c) for r in range(1, 4) for c in itertools.combinations(NAMES, r)]
    parties = [
        (kind, owner, ps | {owner})
        for kind in ("zone", "operation") for owner in NAMES for ps in subsets[:8]
    ]
    n = 400
    bits = PartyBits()
    who = rng.integers(len(parties), size=n)
    kinds = np.array([0 if parties[i][0] == "zone" else 1 for i in who], dtype=np.int8)
    owners = np.array([bits.bit(parties[i][1]) for i in who], dtype=np.int64)
    masks = np.array([bits.mask(parties[i][2]) for i in who], dtype=np.int64)
    start = rng.uniform(0, 100, n)
    cols = {
        "alive": rng.random(n) < 0.9,
        "t0": np.where(rng.random(n) < 0.2, -np.inf, start),
        "t1": np.where(rng.random(n) < 0.2, np.inf, start + rng.uniform(0, 30, n)),
        "lo": rng.choice([0.0, 50.0, 100.0], n),
        "buf": rng.choice([0.0, 10.0, 500.0], n),
    }
    cols["hi"] = cols["lo"] + rng.choice([0.0, 50.0, 1000.0], n)
    floats = np.stack([cols[c] for c in CANDIDATE_FLOATS], axis=1)
    ints = np.stack([cols["alive"], kinds, owners, masks], axis=1).astype(np.int64)
    assert CANDIDATE_INTS == ("alive", "kind", "owner", "mask")
    for _ in range(60):
        me = parties[int(rng.integers(len(parties)))]
        found = rng.integers(n, size=int(rng.integers(0, 300)))
        t0 = float(rng.uniform(0, 100))
        q = (t0, t0 + float(rng.choice([0.0, 5.0, 50.0])), float(rng.choice([0.0, 100.0])),
             float(rng.choice([100.0, 200.0])), float(rng.choice([0.0, 100.0])))
        allowed = rule_mask(me, bits, kinds, owners, masks)
        assert allowed is not None
        me_bits = (RULE_KIND_ZONE if me[0] == "zone" else RULE_KIND_OPERATION,
                   bits.bit(me[1]), bits.mask(me[2]), True)
        rows, required, undecided = candidates(found, floats, ints, *q, *me_bits)
        assert (rows.tolist(), required.tolist()) == _reference(found, cols, q, allowed)
        assert not undecided.any()
        # without bits every 4D candidate is kept and left to rule_for
        rows, _, undecided = candidates(found, floats, ints, *q, 0, -1, -1, False)
        everyone = np.ones(n, dtype=bool)
        assert rows.tolist() == _reference(found, cols, q, everyone)[0]
        assert undecided.all()
        assert [rule_for(me, parties[who[r]]) is not None for r in rows] == allowed[rows].tolist()


def test_rows_without_bits_are_left_undecided() -> None:
    floats = np.array([[0.0, 1.0, 0.0, 1.0, 0.0]] * 2)
    ints = np.array([[1, 1, -1, 1], [1, 1, 3, -1]])
    rows, _, undecided = candidates(
        np.array([0, 1]), floats, ints, 0.0, 1.0, 0.0, 1.0, 0.0, RULE_KIND_OPERATION, 0, 1, True,
    )
    assert rows.tolist() == [0, 1]
    assert undecided.tolist() == [True, True]
