"""Party identifiers.

>>> party_id("coalition")
'coalition'
>>> party_id("Bad Name")
Traceback (most recent call last):
...
deconfliction.core.errors.ValidationError: party: 'Bad Name' is not a party id (...)
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from deconfliction.core.errors import ValidationError
from deconfliction.core.volume import Volume4D

__all__ = ["DEFAULT_ACK_WINDOW_S", "ROLES", "PartyProfile", "party_id", "party_set"]

_PARTY = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,63}$")


def party_id(value: object, field: str = "party") -> str:
    """Return ``value`` if it is a valid party id, else raise ``BAD_PARTY``."""
    if not isinstance(value, str) or not _PARTY.match(value):
        raise ValidationError(
            "BAD_PARTY",
            f"{value!r} is not a party id (lower-case letters, digits, '-', '_', '.'; at most 64)",
            field,
        )
    return value


def party_set(values: object, field: str) -> frozenset[str]:
    """A frozen set of valid party ids."""
    if isinstance(values, str) or not isinstance(values, list | tuple | set | frozenset):
        raise ValidationError("BAD_PARTY", "expected a list of party ids", field)
    return frozenset(party_id(v, field) for v in values)


#: default time a recipient has to answer a message, in seconds
DEFAULT_ACK_WINDOW_S = 3_600.0
ROLES = ("party", "admin")


@dataclass(frozen=True, slots=True)
class PartyProfile:
    """A party of the service: who it is, how to reach it, when it must answer.

    ``interests`` are the areas it wants to hear about (besides its own objects);
    ``escalation_to`` is told when it leaves a message unanswered past its deadline;
    ``ack_window_s`` is how long it has to answer.

    >>> PartyProfile(id="russia", name="Russian Federation", contact="hmeimim ops").role
    'party'
    >>> PartyProfile(id="x", name="", ack_window_s=0.0)
    Traceback (most recent call last):
    ...
    deconfliction.core.errors.ValidationError: ack_window_s: must be > 0 seconds
    """

    id: str
    name: str
    role: str = "party"
    contact: str = ""
    escalation_to: str | None = None
    ack_window_s: float = DEFAULT_ACK_WINDOW_S
    webhook_url: str | None = None
    interests: tuple[Volume4D, ...] = ()

    def __post_init__(self) -> None:
        party_id(self.id, "id")
        if self.role not in ROLES:
            raise ValidationError("BAD_ROLE", f"role must be one of {ROLES}", "role")
        if self.escalation_to is not None:
            party_id(self.escalation_to, "escalation_to")
            if self.escalation_to == self.id:
                raise ValidationError(
                    "BAD_ESCALATION", "a party cannot escalate to itself", "escalation_to"
                )
        if not (math.isfinite(self.ack_window_s) and self.ack_window_s > 0):
            raise ValidationError("BAD_ACK_WINDOW", "must be > 0 seconds", "ack_window_s")
        if self.webhook_url is not None and not self.webhook_url.startswith(
            ("http://", "https://")
        ):
            raise ValidationError("BAD_URL", "webhook_url must be http(s)", "webhook_url")
        for name, text in (("name", self.name), ("contact", self.contact)):
            if len(text) > 500:
                raise ValidationError("TOO_LONG", "at most 500 characters", name)

    @property
    def admin(self) -> bool:
        """May create parties and see everything."""
        return self.role == "admin"
