"""Zones and operations: the two kinds of object that are deconflicted.

A :class:`Zone` is a keep-out or protected area: its volumes, its owner, the parties
allowed inside and a separation buffer. An :class:`Operation` is a planned activity:
its volumes, owner, participants, kind, priority and lifecycle state. Both carry a
``version``, a token that changes on every write (F3548's OVN).

Lifecycle of an operation::

    draft → proposed → accepted → active → ended
      └────────┴──────────┴─────────┴──→ cancelled

>>> from datetime import datetime, timezone
>>> from deconfliction.core.outline import Circle
>>> t = TimeInterval(datetime(2018, 9, 7, tzinfo=timezone.utc),
...                  datetime(2018, 9, 15, tzinfo=timezone.utc))
>>> op = Operation.new(id="exercise", owner="coalition", participants={"mat"}, kind="exercise",
...     volumes=[Volume4D(Circle(33.50583, 38.61778, 25_000.0), 0.0, 6_000.0, t)])
>>> sorted(op.participants), op.state.value
(['coalition', 'mat'], 'draft')
>>> op.transition(OperationState.ACTIVE)
Traceback (most recent call last):
...
deconfliction.core.errors.ConflictStateError: state: an operation cannot go from draft to active
"""

from __future__ import annotations

import math
import secrets
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Literal

from deconfliction.core.errors import ConflictStateError, ValidationError
from deconfliction.core.limits import DEFAULT_LIMITS, Limits
from deconfliction.core.parties import party_id, party_set
from deconfliction.core.timeinterval import TimeInterval
from deconfliction.core.volume import Volume4D

__all__ = [
    "OPERATION_KINDS",
    "Operation",
    "OperationState",
    "Zone",
    "new_version",
]

OPERATION_KINDS = ("exercise", "live_fire", "flight", "convoy", "patrol", "naval", "other")


def new_version() -> str:
    """A fresh, unguessable version token."""
    return secrets.token_hex(12)


def _check_volumes(volumes: tuple[Volume4D, ...], limits: Limits) -> None:
    if not volumes:
        raise ValidationError("NO_VOLUMES", "at least one volume is needed", "volumes")
    if len(volumes) > limits.max_volumes:
        raise ValidationError(
            "TOO_MANY_VOLUMES", f"{len(volumes)} volumes; at most {limits.max_volumes}", "volumes"
        )
    for v in volumes:
        if not isinstance(v, Volume4D):
            raise ValidationError("BAD_VOLUME", "expected Volume4D objects", "volumes")


def _check_version(version: str) -> None:
    if not isinstance(version, str) or not version or len(version) > 128:
        raise ValidationError("BAD_VERSION", "version must be a non-empty string", "version")


def _check_buffer(buffer_m: float) -> None:
    if (
        not isinstance(buffer_m, int | float)
        or isinstance(buffer_m, bool)
        or not math.isfinite(buffer_m)
        or buffer_m < 0
    ):
        raise ValidationError(
            "BAD_BUFFER", f"buffer_m must be a finite number >= 0, got {buffer_m!r}", "buffer_m"
        )


def _hull(volumes: Iterable[Volume4D]) -> TimeInterval:
    vols = list(volumes)
    starts = [v.time.start for v in vols]
    ends = [v.time.end for v in vols]
    start = None if any(s is None for s in starts) else min(s for s in starts if s is not None)
    end = None if any(e is None for e in ends) else max(e for e in ends if e is not None)
    return TimeInterval(start, end)


@dataclass(frozen=True)
class Zone:
    """A keep-out or protected area that only ``allowed`` parties (and the owner) may enter."""

    id: str
    name: str
    owner: str
    volumes: tuple[Volume4D, ...]
    allowed: frozenset[str] = frozenset()
    buffer_m: float = 0.0
    severity: Literal["keep_out", "protected", "notify"] = "keep_out"
    version: str = field(default_factory=new_version)
    #: the country the volumes were clipped to (:mod:`deconfliction.core.clip`), if any
    clip_to: str | None = None
    #: the volumes before clipping (empty unless ``clip_to``), so that an update can clip again
    unclipped: tuple[Volume4D, ...] = ()
    kind: Literal["zone"] = field(default="zone", init=False)

    def __post_init__(self) -> None:
        party_id(self.owner, "owner")
        object.__setattr__(self, "allowed", party_set(self.allowed, "allowed") | {self.owner})
        object.__setattr__(self, "volumes", tuple(self.volumes))
        _check_volumes(self.volumes, DEFAULT_LIMITS)
        _check_buffer(self.buffer_m)
        _check_version(self.version)
        object.__setattr__(self, "unclipped", tuple(self.unclipped))
        if self.clip_to is not None or self.unclipped:
            if not isinstance(self.clip_to, str) or not self.clip_to or not self.unclipped:
                raise ValidationError(
                    "BAD_CLIP", "a clipped zone needs both clip_to and its unclipped volumes",
                    "clip_to")
            _check_volumes(self.unclipped, DEFAULT_LIMITS)
        if self.severity not in ("keep_out", "protected", "notify"):
            raise ValidationError("BAD_SEVERITY", f"unknown severity {self.severity!r}", "severity")
        if not self.id or not isinstance(self.id, str) or len(self.id) > 128:
            raise ValidationError("BAD_ID", "id must be a non-empty string of ≤128", "id")

    @property
    def validity(self) -> TimeInterval:
        """From the earliest volume start to the latest volume end."""
        return _hull(self.volumes)

    def revised(self, **changes: object) -> Zone:
        """A copy with ``changes`` applied and a new version token."""
        return replace(self, **changes, version=new_version())  # type: ignore[arg-type]


class OperationState(StrEnum):
    """Where an operation is in its lifecycle."""

    DRAFT = "draft"
    PROPOSED = "proposed"
    ACCEPTED = "accepted"
    ACTIVE = "active"
    ENDED = "ended"
    CANCELLED = "cancelled"


_NEXT: dict[OperationState, frozenset[OperationState]] = {
    OperationState.DRAFT: frozenset({OperationState.PROPOSED, OperationState.CANCELLED}),
    OperationState.PROPOSED: frozenset({OperationState.ACCEPTED, OperationState.CANCELLED}),
    OperationState.ACCEPTED: frozenset({OperationState.ACTIVE, OperationState.CANCELLED}),
    OperationState.ACTIVE: frozenset({OperationState.ENDED, OperationState.CANCELLED}),
    OperationState.ENDED: frozenset(),
    OperationState.CANCELLED: frozenset(),
}

#: states in which a stored operation takes up its space
BINDING_STATES = frozenset(
    {OperationState.PROPOSED, OperationState.ACCEPTED, OperationState.ACTIVE}
)


@dataclass(frozen=True)
class Operation:
    """A planned activity of ``owner`` and its ``participants`` in one or more volumes."""

    id: str
    name: str
    owner: str
    volumes: tuple[Volume4D, ...]
    participants: frozenset[str] = frozenset()
    kind: str = "other"
    priority: int = 0
    state: OperationState = OperationState.DRAFT
    buffer_m: float = 0.0
    version: str = field(default_factory=new_version)

    def __post_init__(self) -> None:
        party_id(self.owner, "owner")
        object.__setattr__(
            self, "participants", party_set(self.participants, "participants") | {self.owner}
        )
        object.__setattr__(self, "volumes", tuple(self.volumes))
        try:
            object.__setattr__(self, "state", OperationState(self.state))
        except ValueError:
            states = ", ".join(s.value for s in OperationState)
            raise ValidationError(
                "BAD_STATE", f"state {self.state!r} is not one of {states}", "state"
            ) from None
        _check_version(self.version)
        _check_volumes(self.volumes, DEFAULT_LIMITS)
        _check_buffer(self.buffer_m)
        if self.kind not in OPERATION_KINDS:
            raise ValidationError(
                "BAD_KIND", f"kind {self.kind!r} is not one of {', '.join(OPERATION_KINDS)}", "kind"
            )
        if not isinstance(self.priority, int) or isinstance(self.priority, bool):
            raise ValidationError("BAD_PRIORITY", "priority must be an integer", "priority")
        if not self.id or not isinstance(self.id, str) or len(self.id) > 128:
            raise ValidationError("BAD_ID", "id must be a non-empty string of ≤128", "id")

    @classmethod
    def new(
        cls,
        *,
        owner: str,
        volumes: Iterable[Volume4D],
        id: str | None = None,
        name: str = "",
        participants: Iterable[str] = (),
        kind: str = "other",
        priority: int = 0,
        buffer_m: float = 0.0,
        state: OperationState = OperationState.DRAFT,
    ) -> Operation:
        """A new operation (a random id unless one is given)."""
        return cls(
            id=id or str(uuid.uuid4()),
            name=name,
            owner=owner,
            volumes=tuple(volumes),
            participants=participants if isinstance(participants, str) else frozenset(participants),  # type: ignore[arg-type]
            kind=kind,
            priority=priority,
            state=state,
            buffer_m=buffer_m,
        )

    @property
    def validity(self) -> TimeInterval:
        """From the earliest volume start to the latest volume end."""
        return _hull(self.volumes)

    @property
    def binding(self) -> bool:
        """True when the operation takes up its space (proposed, accepted or active)."""
        return self.state in BINDING_STATES

    def transition(self, to: OperationState | str) -> Operation:
        """The operation in state ``to``; ``ILLEGAL_TRANSITION`` if the lifecycle forbids it."""
        try:
            target = OperationState(to)
        except ValueError:
            raise ValidationError("BAD_STATE", f"unknown state {to!r}", "state") from None
        if target not in _NEXT[self.state]:
            raise ConflictStateError(
                "ILLEGAL_TRANSITION",
                f"an operation cannot go from {self.state.value} to {target.value}",
                "state",
            )
        return replace(self, state=target, version=new_version())

    def revised(self, **changes: object) -> Operation:
        """A copy with ``changes`` applied and a new version token.

        This is a plain copy: lifecycle rules are enforced by :meth:`transition`."""
        return replace(self, **changes, version=new_version())  # type: ignore[arg-type]


DeconflictedObject = Zone | Operation
