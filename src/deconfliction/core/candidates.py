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

Three stored operations of another owner (rule kind 1, owner bit 1, parties mask 2), all
live, at 0–100 m with buffers 50, 0 and 0 m, the second one later (window [20, 30) s); the
third is found twice:

>>> import numpy as np
>>> floats = np.array([[0.0, 10, 0, 100, 50], [20, 30, 0, 100, 0], [0, 10, 0, 100, 0]])
>>> ints = np.array([[1, 1, 1, 2]] * 3)
>>> rows, required, undecided = candidates(
...     np.array([2, 0, 1, 2]), floats, ints, 0.0, 10.0, 50.0, 60.0, 20.0,
...     RULE_KIND_OPERATION, 0, 1, True)
>>> rows.tolist(), required.tolist(), undecided.tolist()
([0, 2], [50.0, 20.0], [False, False])
"""

from __future__ import annotations

import numpy as np

from deconfliction.core.kernels import jit

__all__ = [
    "CANDIDATE_FLOATS", "CANDIDATE_INTS", "RULE_KIND_OPERATION", "RULE_KIND_ZONE", "candidates",
    "rule_one",
]

RULE_KIND_ZONE = 0
RULE_KIND_OPERATION = 1
#: the leading columns of the two row tables :func:`candidates` reads, in order
CANDIDATE_FLOATS = ("t0", "t1", "lo", "hi", "buf")
CANDIDATE_INTS = ("alive", "kind", "owner", "mask")


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
    found: np.ndarray, floats: np.ndarray, ints: np.ndarray,
    q_t0: float, q_t1: float, q_lo: float, q_hi: float, q_buf: float,
    me_kind: int, me_owner: int, me_mask: int, by_bits: bool,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The ``found`` rows that may conflict with the query volume, before geometry.

    Row ``r`` of ``floats`` starts with :data:`CANDIDATE_FLOATS`: epoch seconds ``t0, t1``
    (±inf when open), the altitude band ``lo, hi`` and the buffer ``buf`` in metres; row
    ``r`` of ``ints`` with :data:`CANDIDATE_INTS`: whether it is live, its rule kind, its
    owner's bit and its parties' bit mask. ``q_*`` are the query volume's. ``me_*`` are the
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
        f, i = floats[r], ints[r]
        if not (i[0] and f[0] < q_t1 and q_t0 < f[1] and f[2] <= q_hi and q_lo <= f[3]):
            continue
        if (by_bits and i[2] >= 0 and i[3] >= 0
                and not rule_one(me_kind, me_owner, me_mask, i[1], i[2], i[3])):
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
        required[j] = max(floats[r, 4], q_buf)
        undecided[j] = not by_bits or ints[r, 2] < 0 or ints[r, 3] < 0
        j += 1
    return rows[:j], required[:j], undecided[:j]
