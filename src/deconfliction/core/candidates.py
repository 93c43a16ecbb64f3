"""The candidate phase of a check, compiled: which stored rows a query volume must be measured
against.

The box index finds the rows whose boxes meet the query's grown box; :func:`candidates` then
keeps, in one pass, the rows that are live, share time (half-open windows) and altitude
(closed bands) with the query volume and that the rules
(:func:`deconfliction.core.rules.rule_mask`, here one row at a time on the same party bits)
say may not share space with it. It returns them sorted and without repeats (a row with two
boxes is found twice), with the separation each pair requires. Rows whose party bits are
missing (more parties than bits) are kept and flagged, for the caller to decide with
:func:`deconfliction.core.rules.rule_for`.

Three stored operations of another owner, all live, at 0–100 m with buffers 50, 0 and
0 m, the second one later (window [20, 30) s); the third is found twice:

>>> import numpy as np
>>> z, one, far = np.zeros(3), np.ones(3), np.full(3, 100.0)
>>> rows, required, undecided = candidates(
...     np.array([2, 0, 1, 2]), one > 0, np.array([0.0, 20.0, 0.0]), np.array([10, 30, 10.0]),
...     z, far, np.array([50.0, 0.0, 0.0]), np.ones(3, dtype=np.int8), np.full(3, 2),
...     np.full(3, 4), 0.0, 10.0, 50.0, 60.0, 20.0, RULE_KIND_OPERATION, 0, 1, True)
>>> rows.tolist(), required.tolist(), undecided.tolist()
([0, 2], [50.0, 20.0], [False, False])
"""

from __future__ import annotations

import numpy as np

from deconfliction.core.kernels import jit

__all__ = ["RULE_KIND_OPERATION", "RULE_KIND_ZONE", "candidates", "rule_one"]

RULE_KIND_ZONE = 0
RULE_KIND_OPERATION = 1


@jit
def rule_one(me_kind: int, me_owner: int, me_mask: int, kind: int, owner: int, mask: int) -> bool:
    """:func:`deconfliction.core.rules.rule_mask` for one row: True when they may not share
    space (kinds 0 zone, 1 operation; owners as bits, parties as bit masks)."""
    if owner == me_owner:
        return False
    if me_kind == RULE_KIND_ZONE:
        return kind == RULE_KIND_OPERATION and (mask & ~me_mask) != 0
    return kind == RULE_KIND_OPERATION or (me_mask & ~mask) != 0


@jit
def candidates(
    found: np.ndarray, alive: np.ndarray,
    t0: np.ndarray, t1: np.ndarray, lo: np.ndarray, hi: np.ndarray, buf: np.ndarray,
    kind: np.ndarray, owner: np.ndarray, mask: np.ndarray,
    q_t0: float, q_t1: float, q_lo: float, q_hi: float, q_buf: float,
    me_kind: int, me_owner: int, me_mask: int, by_bits: bool,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The ``found`` rows that may conflict with the query volume, before geometry.

    ``t0, t1`` are epoch seconds (±inf when open), ``lo, hi`` altitude bands and ``buf``
    buffers in metres, per stored row; ``q_*`` the query volume's. ``me_*`` are the
    checked object's rule facts as bits; with ``by_bits`` false, or for a row whose owner or
    mask is negative (no bit), the rule is left undecided. Returns ``(rows, required_m,
    undecided)``: rows sorted and unique, the larger of the two buffers, and the rows whose
    rule is undecided.
    """
    n = found.size
    keep = np.empty(n, dtype=found.dtype)
    m = 0
    for k in range(n):
        r = found[k]
        if not (alive[r] and t0[r] < q_t1 and q_t0 < t1[r] and lo[r] <= q_hi and q_lo <= hi[r]):
            continue
        if (by_bits and owner[r] >= 0 and mask[r] >= 0
                and not rule_one(me_kind, me_owner, me_mask, kind[r], owner[r], mask[r])):
            continue
        keep[m] = r
        m += 1
    keep = np.sort(keep[:m])
    rows = np.empty(m, dtype=found.dtype)
    required = np.empty(m)
    undecided = np.zeros(m, dtype=np.bool_)
    j = 0
    for k in range(m):
        r = keep[k]
        if j > 0 and rows[j - 1] == r:
            continue
        rows[j] = r
        required[j] = max(buf[r], q_buf)
        undecided[j] = not by_bits or owner[r] < 0 or mask[r] < 0
        j += 1
    return rows[:j], required[:j], undecided[:j]
