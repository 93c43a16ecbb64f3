"""Who sees what: the access rules of the service, as pure functions.

* A party sees its own zones and operations in full, and so do the parties an object is
  shared with (``shared_with``), the participants of an operation, and admins.
* Every other party sees the *shared view*: the 4D volumes and how to reach the owner, but
  not the name (the purpose), the participants, the allowed parties or the priority. It is
  told whether it is itself allowed in a zone.
* A conflict is seen only by the parties involved in it; a message only by its recipient and
  its sender; a ledger entry's payload only by the parties it concerns, and the payload of a
  write of an object (which holds the whole object) only by those who see the object in full.

>>> from datetime import datetime, timezone
>>> from deconfliction.core.objects import Operation
>>> from deconfliction.core.outline import Circle
>>> from deconfliction.core.timeinterval import TimeInterval
>>> from deconfliction.core.volume import Volume4D
>>> t = TimeInterval(datetime(2018, 9, 7, tzinfo=timezone.utc), None)
>>> op = Operation.new(id="ex", name="Exercise X", owner="coalition", participants={"mat"},
...     volumes=[Volume4D(Circle(33.5, 38.6, 5_000.0), 0.0, 6_000.0, t)])
>>> full = view_object(op, viewer="mat", admin=False, shared_with=frozenset(), contact="")
>>> full["name"], full["shared"]
('Exercise X', 'full')
>>> other = view_object(op, viewer="russia", admin=False, shared_with=frozenset(),
...                     contact="coalition ops")
>>> "name" in other, "participants" in other, other["shared"], other["contact"]
(False, False, 'volumes', 'coalition ops')
"""

from __future__ import annotations

from typing import Any

from deconfliction.core.conflict import Conflict
from deconfliction.core.objects import Operation, Zone
from deconfliction.formats.native import object_to_dict

__all__ = ["HIDDEN_FIELDS", "conflict_parties", "payload_in_full", "sees_in_full", "view_object"]

#: what the shared view leaves out (a clipped zone's ``unclipped`` volumes too: others see
#: the space it takes, not the outline it was cut from)
HIDDEN_FIELDS = frozenset({"name", "participants", "allowed", "priority", "unclipped"})


def sees_in_full(
    obj: Zone | Operation, viewer: str, *, admin: bool, shared_with: frozenset[str]
) -> bool:
    """Whether ``viewer`` sees every field of ``obj``."""
    if admin or viewer == obj.owner or viewer in shared_with:
        return True
    return isinstance(obj, Operation) and viewer in obj.participants


def view_object(
    obj: Zone | Operation,
    *,
    viewer: str,
    admin: bool,
    shared_with: frozenset[str],
    contact: str,
) -> dict[str, Any]:
    """``obj`` as ``viewer`` may see it (native JSON data plus ``shared`` and ``contact``)."""
    data = object_to_dict(obj)
    data["contact"] = contact
    if sees_in_full(obj, viewer, admin=admin, shared_with=shared_with):
        data["shared"] = "full"
        data["shared_with"] = sorted(shared_with)
        return data
    view = {k: v for k, v in data.items() if k not in HIDDEN_FIELDS}
    view["shared"] = "volumes"
    if isinstance(obj, Zone):
        view["viewer_allowed"] = viewer in obj.allowed
    return view


def conflict_parties(c: Conflict, owner_of: dict[str, str]) -> frozenset[str]:
    """The parties involved in a conflict: both owners and the parties to blame."""
    owners = {owner_of[i] for i in (c.a_id, c.b_id) if i in owner_of}
    return frozenset(owners) | frozenset(c.parties)


def payload_in_full(payload: object, viewer: str) -> bool:
    """Whether ``viewer``, a party to a ledger entry, may read its ``payload``: unless the
    payload holds an object (``{"object": {...}, "shared_with": [...]}``, as the writes of
    zones and operations do), which only those who see that object in full may read.

    >>> op = {"object": {"object": "operation", "owner": "coalition", "participants": ["mat"]},
    ...       "shared_with": ["ocha"]}
    >>> [payload_in_full(op, p) for p in ("coalition", "mat", "ocha", "russia")]
    [True, True, True, False]
    >>> payload_in_full({"id": "m3", "answer": "ack"}, "russia")
    True
    """
    if not isinstance(payload, dict):
        return True
    obj = payload.get("object")
    if not isinstance(obj, dict):
        return True
    full = {obj.get("owner"), *(payload.get("shared_with") or ())}
    if obj.get("object") == "operation":
        full.update(obj.get("participants") or ())
    return viewer in full
