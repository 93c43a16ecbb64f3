"""Who may come close to whom: the deconfliction rules, independent of geometry.

* An operation conflicts with a zone unless the zone belongs to the operation's owner or
  all of the operation's participants are allowed in the zone.
* Operations of different owners conflict with each other.
* Zones do not conflict with zones.
* Only binding operations (proposed, accepted, active) take up space; drafts, ended and
  cancelled operations conflict with nothing when stored (a draft being *checked* still
  is checked).

>>> from deconfliction.core.objects import Zone
>>> rule_for(("operation", "russia", frozenset({"russia"})),
...          ("zone", "coalition", frozenset({"coalition", "mat"})))
('ZONE_ENTRY_NOT_ALLOWED', ('russia',))
>>> rule_for(("operation", "coalition", frozenset({"coalition", "mat"})),
...          ("zone", "coalition", frozenset({"coalition", "mat"}))) is None
True
"""

from __future__ import annotations

import numpy as np

from deconfliction.core.objects import Operation, Zone

__all__ = ["Party", "PartyBits", "parties_of", "rule_between", "rule_for", "rule_mask"]

#: (kind, owner, parties): the participants of an operation or the allowed of a zone
Party = tuple[str, str, frozenset[str]]


def parties_of(obj: Zone | Operation) -> Party:
    """The rule-relevant facts of an object."""
    if isinstance(obj, Zone):
        return ("zone", obj.owner, obj.allowed)
    return ("operation", obj.owner, obj.participants)


def rule_for(a: Party, b: Party) -> tuple[str, tuple[str, ...]] | None:
    """The reason ``a`` and ``b`` may not share space and the parties to blame, or ``None``."""
    (ka, oa, pa), (kb, ob, pb) = a, b
    if ka == "zone" and kb == "zone":
        return None
    if ka == "operation" and kb == "operation":
        if oa == ob:
            return None
        return ("OPERATIONS_OVERLAP", tuple(sorted({oa, ob})))
    op_owner, op_parties, zone_owner, allowed = (
        (oa, pa, ob, pb) if ka == "operation" else (ob, pb, oa, pa)
    )
    if op_owner == zone_owner:
        return None
    intruders = op_parties - allowed
    return ("ZONE_ENTRY_NOT_ALLOWED", tuple(sorted(intruders))) if intruders else None


def rule_between(a: Zone | Operation, b: Zone | Operation) -> tuple[str, tuple[str, ...]] | None:
    """:func:`rule_for` on two objects."""
    return rule_for(parties_of(a), parties_of(b))


class PartyBits:
    """Bit numbers for parties, so the rules can run on whole arrays of candidates at once.

    >>> bits = PartyBits()
    >>> bits.mask(frozenset({"coalition", "mat"})), bits.bit("russia")
    (3, 2)
    """

    #: masks are signed 64-bit integers: beyond this many parties the rules run one by one
    LIMIT = 62

    def __init__(self) -> None:
        self._bits: dict[str, int] = {}

    def bit(self, party: str) -> int:
        """The bit of ``party`` (a new one the first time), or -1 past :attr:`LIMIT`."""
        b = self._bits.get(party)
        if b is None:
            if len(self._bits) >= self.LIMIT:
                return -1
            b = self._bits[party] = len(self._bits)
        return b

    def mask(self, parties: frozenset[str]) -> int:
        """The parties as a bit mask, or -1 if any has no bit."""
        m = 0
        for p in sorted(parties):
            b = self.bit(p)
            if b < 0:
                return -1
            m |= 1 << b
        return m


def rule_mask(
    me: Party, bits: PartyBits, kinds: np.ndarray, owners: np.ndarray, masks: np.ndarray
) -> np.ndarray | None:
    """:func:`rule_for` over arrays: True where ``me`` and the row may not share space.

    ``kinds`` is 0 for zones and 1 for operations, ``owners`` the owners' bits, ``masks`` the
    allowed parties of zones or the participants of operations. ``None`` when a party has
    no bit (the caller then applies :func:`rule_for` one by one).
    """
    kind, owner, parties = me
    ob, pm = bits.bit(owner), bits.mask(parties)
    if ob < 0 or pm < 0 or bool((owners < 0).any()) or bool((masks < 0).any()):
        return None
    other_owner = owners != ob
    if kind == "zone":
        return np.asarray((kinds == 1) & other_owner & ((masks & ~pm) != 0))
    intruders = (pm & ~masks) != 0
    return np.asarray(other_owner & ((kinds == 1) | intruders))
