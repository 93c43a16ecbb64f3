"""References as F3548 JSON, and the ids and states that connect them to the engine.

An F3548 entity id is a UUIDv4. Objects written over the DSS keep it as their id; a zone or
operation written through the native API, whose id may be any string, is shown under a
UUIDv4 derived from its id (stable, see :func:`entity_id`).

>>> entity_id("2f8343be-6482-4d1b-a474-16847e01af1e")
'2f8343be-6482-4d1b-a474-16847e01af1e'
>>> entity_id("exercise")
'2c665b4f-4aa7-4c10-bdd3-e489f3c1116a'
>>> is_uuid4(entity_id("exercise")), f3548_state("active")
(True, 'Activated')
>>> party_for("uss1"), party_for("USS One")
('uss1', 'uss.af5ce9b4eb9ef19341060760')
"""

from __future__ import annotations

import hashlib
import re
import uuid
from datetime import UTC, datetime
from typing import Any

from deconfliction.core.objects import Operation, OperationState, Zone
from deconfliction.formats._fields import iso_z

__all__ = [
    "CORE_STATE",
    "NEXT_STATES",
    "NO_SUBSCRIPTION",
    "REQUIRES_KEY",
    "constraint_ref",
    "entity_id",
    "f3548_state",
    "is_uuid4",
    "operation_ref",
    "party_for",
    "time_json",
]

_UUID4 = re.compile(
    r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-4[0-9a-fA-F]{3}-[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12}$")
_PARTY = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,63}$")
#: the subscription id of a reference without one (InterUSS uses the same)
NO_SUBSCRIPTION = "00000000-0000-4000-8000-000000000000"
#: F3548 state -> the core state the operation is stored in (all take up their space)
CORE_STATE = {
    "Accepted": OperationState.ACCEPTED,
    "Activated": OperationState.ACTIVE,
    "Nonconforming": OperationState.ACTIVE,
    "Contingent": OperationState.ACTIVE,
}
#: F3548 states whose writes need a key, and whose intents must be in others' keys
REQUIRES_KEY = frozenset({"Accepted", "Activated"})
#: F3548 state -> the states an intent in it may be updated to (an intent ends by deletion:
#: ``Contingent`` must end, and nothing goes back to ``Accepted`` once flying)
NEXT_STATES = {
    "Accepted": frozenset({"Accepted", "Activated", "Nonconforming", "Contingent"}),
    "Activated": frozenset({"Activated", "Nonconforming", "Contingent"}),
    "Nonconforming": frozenset({"Activated", "Nonconforming", "Contingent"}),
    "Contingent": frozenset({"Contingent"}),
}
#: open time ends of native objects, as F3548 needs both
_EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
_LATEST = datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC)


def is_uuid4(text: object) -> bool:
    """Whether ``text`` is a UUIDv4 string, as F3548's ``EntityID`` wants."""
    return isinstance(text, str) and _UUID4.match(text) is not None


def entity_id(obj_id: str) -> str:
    """The F3548 entity id of an object: its id if that is a UUIDv4, else one derived
    from it (SHA-256 with the version and variant bits of a UUIDv4)."""
    if is_uuid4(obj_id):
        return obj_id
    raw = bytearray(hashlib.sha256(f"deconfliction:{obj_id}".encode()).digest()[:16])
    raw[6] = (raw[6] & 0x0F) | 0x40
    raw[8] = (raw[8] & 0x3F) | 0x80
    return str(uuid.UUID(bytes=bytes(raw)))


def party_for(sub: str) -> str:
    """The party id of a USS's client id (``sub``): itself when it is one, else a hash."""
    if _PARTY.match(sub):
        return sub
    return "uss." + hashlib.sha256(sub.encode("utf-8")).hexdigest()[:24]


def f3548_state(state: OperationState | str) -> str:
    """The F3548 state a native operation is shown in."""
    return "Activated" if OperationState(state) is OperationState.ACTIVE else "Accepted"


def time_json(t: datetime | None, *, end: bool = False) -> dict[str, str]:
    """An F3548 ``Time``; an open end is shown as the earliest or latest time."""
    value = t if t is not None else (_LATEST if end else _EARLIEST)
    return {"value": iso_z(value) or "", "format": "RFC3339"}


def _common(obj: Zone | Operation, *, manager: str, base_url: str, version: int,
            availability: str, show_ovn: bool) -> dict[str, Any]:
    v = obj.validity
    out: dict[str, Any] = {
        "id": entity_id(obj.id),
        "manager": manager,
        "uss_availability": availability,
        "version": version,
        "time_start": time_json(v.start),
        "time_end": time_json(v.end, end=True),
        "uss_base_url": base_url,
    }
    if show_ovn:
        out["ovn"] = obj.version
    return out


def operation_ref(obj: Operation, *, manager: str, base_url: str, version: int,
                  availability: str, show_ovn: bool, state: str | None,
                  subscription_id: str | None) -> dict[str, Any]:
    """An ``OperationalIntentReference`` (with the OVN if ``show_ovn``: to its manager)."""
    out = _common(obj, manager=manager, base_url=base_url, version=version,
                  availability=availability, show_ovn=show_ovn)
    out["state"] = state or f3548_state(obj.state)
    out["subscription_id"] = subscription_id or NO_SUBSCRIPTION
    return out


def constraint_ref(obj: Zone, *, manager: str, base_url: str, version: int,
                   availability: str, show_ovn: bool) -> dict[str, Any]:
    """A ``ConstraintReference`` (with the OVN if ``show_ovn``: to its manager)."""
    return _common(obj, manager=manager, base_url=base_url, version=version,
                   availability=availability, show_ovn=show_ovn)
