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

from deconfliction.core.objects import Operation, Zone

__all__ = ["Party", "parties_of", "rule_between", "rule_for"]

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
